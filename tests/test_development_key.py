"""``litestar run`` without ``AUTH_SECRET``: one development key, kept in a file, so that a token
outlives a reload and a restart; said once per server start, and by nothing that serves nothing.
Production without ``AUTH_SECRET`` keeps its random key per process, and says so.

Each command runs as a person runs it, from the project's root, on a settings file of its own
in a temporary directory (``BLOG_SETTINGS_FILE``): the key file is made beside it.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from blog.security import DEVELOPMENT_KEY_FILE, MIN_SECRET_BYTES
from blog.settings import PROJECT_ROOT
from tests.conftest import migrate
from tests.helpers import PASSWORD, free_port, stop_group

BIN = Path(sys.executable).parent
WARNING = "auth.secret (AUTH_SECRET) is not set"


@pytest.fixture
async def project(tmp_path: Path) -> Path:
    """A settings file on a migrated SQLite database of its own, with no ``auth.secret``."""
    (tmp_path / "litestar.toml").write_text('[database]\nurl = "sqlite+aiosqlite:///blog.sqlite3"\n')
    await asyncio.to_thread(migrate, f"sqlite+aiosqlite:///{tmp_path / 'blog.sqlite3'}")
    return tmp_path


def environment(project: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LITESTAR_", "APP_", "DATABASE_", "AUTH_"))}
    return {**clean, "BLOG_SETTINGS_FILE": str(project / "litestar.toml"), "APP_LOG_FORMAT": "json"}


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def litestar_run(project: Path, log: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``litestar run`` (``make run``), until it answers; stopped with Ctrl+C's signal afterwards."""
    port = free_port()
    argv = [str(BIN / "litestar"), "run", "--port", str(port), *options]
    with log.open("wb") as output:
        # A process group of its own, as a terminal gives a command: Ctrl+C signals the whole
        # group, the reloader's server process included (signalled alone, that one outlived the test).
        process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=environment(project),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthcheck"), process, log)
            yield f"http://127.0.0.1:{port}", process
        finally:
            stop_group(process, interrupt=True, timeout=30)


def me(base_url: str, token: str) -> int:
    return httpx.get(f"{base_url}/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_outlives_a_reload_and_a_restart(project: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    with litestar_run(project, first) as (base_url, _):
        account = {"username": "ada", "email": "ada@example.com", "password": PASSWORD}
        assert httpx.post(f"{base_url}/authors", json=account).status_code == 201
        login = httpx.post(f"{base_url}/auth/token", data={"username": "ada", "password": PASSWORD})
        token = login.json()["access_token"]
        assert me(base_url, token) == 200
    key_file = project / DEVELOPMENT_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= MIN_SECRET_BYTES
    assert first.read_text().count(WARNING) == 1, first.read_text()
    assert str(key_file) in first.read_text()

    # Restarted, with the reloader this time; then reloaded by a change in a watched directory.
    watched = tmp_path / "watched"
    watched.mkdir()
    with litestar_run(project, second, "--reload", "--reload-dir", str(watched)) as (base_url, process):
        assert me(base_url, token) == 200
        (watched / "changed.py").write_text("")
        wait_for(lambda: second.read_text().count('"Application startup complete."') == 2, process, second)
        assert me(base_url, token) == 200
    assert second.read_text().count(WARNING) == 1, second.read_text()  # not once per worker
    assert sorted(path.name for path in project.iterdir() if path.name.startswith(".")) == [DEVELOPMENT_KEY_FILE]


def test_commands_that_serve_nothing_say_nothing_of_the_key(project: Path) -> None:
    for command in (["routes"], ["database", "upgrade", "--no-prompt"]):
        done = subprocess.run(
            [str(BIN / "litestar"), *command],
            cwd=PROJECT_ROOT,
            env=environment(project),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert WARNING not in done.stdout + done.stderr, command
    assert not (project / DEVELOPMENT_KEY_FILE).exists()


def test_production_without_a_secret_keeps_a_random_key_and_says_so(project: Path) -> None:
    """The production entry point neither reads nor writes the development key."""
    key_file = project / DEVELOPMENT_KEY_FILE
    key_file.write_text("a development key left by `litestar run`, 32 bytes or more\n")
    before = key_file.stat()
    probe = """
import sys
from litestar.testing import TestClient
from blog.asgi import production_app
from blog.security import BEARER_STATE_KEY
app = production_app()
with TestClient(app=app) as client:
    assert client.get("/healthcheck").status_code == 200
sys.stdout.write(app.state[BEARER_STATE_KEY].token_secret)
"""
    keys = set()
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=PROJECT_ROOT,
            env=environment(project),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.count(WARNING) == 1, done.stderr
        keys.add(done.stdout)
    assert len(keys) == 2  # one per process
    assert key_file.read_text().strip() not in keys
    after = key_file.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert sorted(path.name for path in project.iterdir() if path.name.startswith(".")) == [DEVELOPMENT_KEY_FILE]


def test_processes_making_the_key_at_once_agree_on_it(tmp_path: Path) -> None:
    probe = "import sys; from pathlib import Path; from blog.security import development_key; "
    probe += "sys.stdout.write(development_key(Path(sys.argv[1])))"
    path = tmp_path / DEVELOPMENT_KEY_FILE
    processes = [
        subprocess.Popen([sys.executable, "-c", probe, str(path)], stdout=subprocess.PIPE, text=True) for _ in range(4)
    ]
    keys = {process.communicate(timeout=60)[0] for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert keys == {path.read_text().strip()}
    assert [entry.name for entry in tmp_path.iterdir()] == [DEVELOPMENT_KEY_FILE]  # no temporary file left
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
