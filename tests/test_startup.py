"""Start-up errors, as a person meets them: the real commands, their stderr and exit status.

Each failure is two lines (the problem, then its fix) and exit status 3, under ``litestar``,
uvicorn (the production command) and Granian; a traceback only with debug on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from blog.settings import PROJECT_ROOT
from tests.helpers import free_port

BIN = Path(sys.executable).parent
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/blog"  # port 1: nothing listens
MISSING = "postgresql+asyncpg://postgres@127.0.0.1:5432/blog_no_such_database"


def start(command: str, env: dict[str, str], cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    """``command`` as a person runs it from ``cwd`` (``.env`` names the app for ``litestar``)."""
    argv = {
        "litestar run": [str(BIN / "litestar"), "run", "--port", str(free_port())],
        "litestar database upgrade": [str(BIN / "litestar"), "database", "upgrade", "--no-prompt"],
        "uvicorn": [str(BIN / "uvicorn"), "--factory", "blog.asgi:production_app", "--port", str(free_port())],
        "granian": [
            *(str(BIN / "granian"), "--interface", "asgi", "--factory", "blog.asgi:production_app"),
            *("--port", str(free_port())),
        ],
    }[command]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LITESTAR_", "APP_", "DATABASE_"))}
    return subprocess.run(
        argv, cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False, stdin=None
    )


def error_lines(stderr: str) -> list[str]:
    """The start-up error's lines: what is left once the log's JSON lines and the servers' own are set aside."""
    return [line for line in stderr.splitlines() if line.startswith(("error: ", "fix: "))]


CASES = [
    # (command, environment, a phrase of the problem, a phrase of the fix)
    ("litestar run", {"DATABASE_POOL_SIZE": "abc"}, "DATABASE_POOL_SIZE: Expected `int`", "litestar.toml"),
    ("uvicorn", {"BLOG_SETTINGS_FILE": "{unknown_key}"}, "unknown field `pool_sise`", "README.md"),
    ("litestar run", {"DATABASE_URL": "{unmigrated}"}, "schema is not up to date", "litestar database upgrade"),
    ("uvicorn", {"DATABASE_URL": UNREACHABLE}, "cannot reach the database", "APP_CHECK_MIGRATIONS=false"),
    ("uvicorn", {"DATABASE_URL": MISSING}, "'blog_no_such_database' does not exist", "createdb"),
    ("litestar database upgrade", {"DATABASE_URL": UNREACHABLE}, "cannot reach the database", "DATABASE_URL"),
    ("granian", {"DATABASE_URL": UNREACHABLE}, "cannot reach the database", "DATABASE_URL"),
]


@pytest.mark.parametrize(("command", "env", "problem", "fix"), CASES, ids=[f"{c[0]}: {c[2]}" for c in CASES])
def test_a_start_up_error_is_two_lines_naming_the_fix(
    command: str, env: dict[str, str], problem: str, fix: str, tmp_path: Path
) -> None:
    (tmp_path / "unknown.toml").write_text("[database]\npool_sise = 5\n")
    places = {"unknown_key": tmp_path / "unknown.toml", "unmigrated": f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3"}
    done = start(command, {key: value.format(**places) for key, value in env.items()})
    assert done.returncode != 0, done.stderr
    if command in {"litestar run", "uvicorn"}:  # Granian and Python's own excepthook exit 1
        assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = error_lines(done.stderr)
    assert len(lines) == 2 * lines.count(lines[0]), done.stderr  # two lines (once per worker)
    assert problem in lines[0], done.stderr
    assert lines[1].startswith("fix: "), done.stderr
    assert fix in lines[1], done.stderr


def test_debug_shows_the_traceback() -> None:
    done = start("litestar run", {"DATABASE_POOL_SIZE": "abc", "APP_DEBUG": "true"})
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "DATABASE_POOL_SIZE" in done.stderr
