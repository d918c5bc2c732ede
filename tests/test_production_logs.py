"""Every line the documented production commands write is one JSON object, written once.

The commands are taken from docs/serving.md as written there (only the host, the port and the
number of workers changed), run with two workers on a migrated PostgreSQL database, asked a
few things, and stopped by a signal: the servers' own start-up and shutdown lines, from their
supervisor process too, are read with the app's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.common import ROOT, documented_command
from blog.logs import server_logging_config
from tests.helpers import ONE_BACKEND, PASSWORD, TEST_SECRET, free_port

LOG_CONFIG = ROOT / "blog" / "logging.json"
STARTED = {
    # Lines each worker writes once it serves; the test stops the server only after both did.
    "uvicorn": '"Application startup complete."',
    "granian": '"Started worker-',
}
SUPERVISOR_LINES = {
    "uvicorn": ("Uvicorn running on http://127.0.0.1:", "Started parent process [", "Stopping parent process ["),
    "granian": ("Starting granian (main PID: ", "Listening at: http://127.0.0.1:", "Granian shutdown completed"),
}
STOP = {"uvicorn": signal.SIGTERM, "granian": signal.SIGINT}


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of ``path``, each of which must be one JSON object."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            pytest.fail(f"{path.name}: not a JSON line: {line!r}")
        assert isinstance(parsed, dict), f"{path.name}: not a JSON object: {line!r}"
        lines.append(parsed)
    return lines


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, f"the server exited before {what}: {log.read_text()}"
        assert time.monotonic() < deadline, f"no {what} after 60 s: {log.read_text()}"
        time.sleep(0.1)


REQUESTS = {"sign-up": 201, "log-in": 200, "me": 200, "no-token": 401, "lost": 404, "read": 200, "leave": 204}


def answers(base_url: str, username: str) -> None:
    """``REQUESTS``: a sign-up, a login, reads, a 401, a 404, and the account deleted again."""
    with httpx.Client(base_url=base_url) as client:
        account = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        author = client.post("/authors", json=account, headers={"X-Request-ID": "sign-up"})
        assert author.status_code == 201, author.text
        form = {"username": username, "password": PASSWORD}
        token = client.post("/auth/token", data=form, headers={"X-Request-ID": "log-in"}).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/auth/me", headers={**bearer, "X-Request-ID": "me"}).status_code == 200
        assert client.get("/auth/me", headers={"X-Request-ID": "no-token"}).status_code == 401
        assert client.get("/nowhere", headers={"X-Request-ID": "lost"}).status_code == 404
        path = f"/authors/{author.json()['id']}"
        assert client.get(path, headers={"X-Request-ID": "read"}).status_code == 200
        assert client.delete(path, headers={**bearer, "X-Request-ID": "leave"}).status_code == 204


@ONE_BACKEND
@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_every_line_of_the_documented_command_is_one_json_object(
    server: str, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    argv = documented_command(server, port, workers=2)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LITESTAR_", "APP_", "DATABASE_", "AUTH_"))}
    env = {**clean, "DATABASE_URL": database_url, "AUTH_SECRET": TEST_SECRET}
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=err)
        try:

            def serving() -> bool:
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/healthcheck", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_for(serving, process, "answer to /healthcheck", stderr)
            wait_for(lambda: stderr.read_text().count(STARTED[server]) == 2, process, "two workers", stderr)
            answers(f"http://127.0.0.1:{port}", f"logged.{server}")
            process.send_signal(STOP[server])
            assert process.wait(30) == 0, stderr.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    lines = json_lines(stdout) + json_lines(stderr)
    events = Counter(str(line["event"]) for line in lines)
    for start in SUPERVISOR_LINES[server]:  # the supervisor's own lines, start and stop
        assert [event for event in events if event.startswith(start)], (start, events)
    # Written once: each request's line, each server line (a worker's own carry its pid or number).
    requests = [line for line in lines if line["event"] == "request" and line["request_id"] in REQUESTS]
    assert sorted((line["request_id"], line["status"]) for line in requests) == sorted(REQUESTS.items())
    server_lines = [line for line in lines if line["logger"].startswith(("uvicorn", "_granian"))]
    doubled = {event: count for event, count in Counter(line["event"] for line in server_lines).items() if count > 1}
    if server == "uvicorn":  # the same words from each of the two workers
        assert set(doubled.values()) <= {2}, doubled
        assert set(doubled) <= {
            "Shutting down",
            "Waiting for application startup.",
            "Application startup complete.",
            "Waiting for application shutdown.",
            "Application shutdown complete.",
        }, doubled
    else:
        assert not doubled, doubled
    assert not [line for line in lines if line["logger"].endswith(".access")]  # the app's own line replaces them


def test_the_shipped_log_config_is_the_one_blog_logs_describes() -> None:
    assert json.loads(LOG_CONFIG.read_text(encoding="utf-8")) == server_logging_config()


@pytest.mark.parametrize(("log_format", "coloured"), [("console", True), ("json", False)])
def test_the_log_config_follows_app_log_format(log_format: str, coloured: bool) -> None:
    """A server's own lines, through the shipped config, take the format the settings say:
    coloured lines for a person with ``console``."""
    probe = f"""
import json, logging, logging.config
logging.config.dictConfig(json.load(open({str(LOG_CONFIG)!r})))
logging.getLogger("uvicorn.error").info("Uvicorn running on http://127.0.0.1:8000")
logging.getLogger("uvicorn.access").info("an access line the app replaces")
"""
    env = {**os.environ, "APP_LOG_FORMAT": log_format}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert "Uvicorn running on" in line
    assert ("\x1b[" in line) is coloured, line
    if not coloured:
        assert json.loads(line)["logger"] == "uvicorn.error"
