"""Small helpers shared by the API tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

PROBLEM_JSON = "application/problem+json"

ONE_BACKEND = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
"""For tests of what the app refuses before it reaches the database: run once, on PostgreSQL
(the stricter: it is where a NUL or an out-of-range id would fail), not once per backend."""


TEST_SECRET = "a test key, long enough for HS256: 0123456789"
"""``auth.secret`` of every app the tests build (``tests.conftest.make_settings``)."""
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Account:
    """An author who signed up, and a token for them."""

    author: dict[str, Any]
    token: str

    @property
    def id(self) -> int:
        return int(self.author["id"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def token_for(
    author_id: int | str, *, secret: str = TEST_SECRET, lifetime: timedelta = timedelta(hours=1), **headers: Any
) -> str:
    """A token as ``POST /auth/token`` makes them (``sub``, ``iat``, ``exp``, ``jti``), without the
    password check's cost; ``lifetime`` may be negative."""
    now = datetime.now(UTC)
    claims = {"sub": str(author_id), "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm="HS256", headers=headers or None)


async def sign_up(client: AsyncTestClient | Any, username: str = "ada", **fields: Any) -> Account:
    """A new account through ``POST /authors``, with a token for it."""
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD, **fields}
    response = await client.post("/authors", json=body)
    assert response.status_code == 201, response.text
    author = response.json()
    return Account(author=author, token=token_for(author["id"]))


async def create_article(
    client: AsyncTestClient | Any, account: Account, title: str = "Notes", content: str = "On the engine."
) -> dict[str, Any]:
    response = await client.post("/articles", json={"title": title, "content": content}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(
    response: Any, status: int, *, field: str | None = None, detail: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status`` (naming ``field``, saying ``detail``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"], (body, response.headers)
    if field is not None:
        assert field in {param["name"] for param in body["invalid_params"]}, body
    if detail is not None:
        assert body["detail"] == detail
    return body


async def count_rows(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(env: dict[str, str], *, workers: int = 1, log: Path) -> Iterator[str]:
    """The production command (``uvicorn --factory blog.asgi:production_app``) with ``env`` added,
    its stdout and stderr in ``log``; yields its base URL once ``/healthcheck`` answers."""
    port = free_port()
    argv = [str(Path(sys.executable).with_name("uvicorn")), "--factory", "blog.asgi:production_app"]
    argv += ["--port", str(port), "--workers", str(workers)]
    with log.open("w") as output:
        # A session of its own, so that its workers can be stopped with it (below).
        process = subprocess.Popen(
            argv, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthcheck", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"the server did not start: {log.read_text()}"
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen[bytes], *, interrupt: bool = False, timeout: float = 10) -> None:
    """Stop ``process``, started in a session of its own, then whatever of its session is left (a
    worker or a reloader's server that outlived it, holding its port and database connections).

    By default as a server is stopped (SIGTERM to it: it stops its workers); ``interrupt``: as
    Ctrl+C stops a command in a terminal (SIGINT to its whole process group)."""
    if interrupt:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
    else:
        process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
