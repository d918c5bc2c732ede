"""Production serving: several uvicorn workers, and a real PgBouncer in transaction pooling mode.

PgBouncer (Debian's ``pgbouncer``; ``.ci/run`` installs it) is started on a free port in
front of the test server, with fewer server connections than the app has clients, so the
app's transactions keep landing on server connections other clients prepared statements
on. Without the setting, asyncpg's prepared statements collide there.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bench.common import app_server
from blog.app import create_app
from blog.settings import AppSettings, DatabaseSettings, Settings
from tests.conftest import make_settings
from tests.helpers import PASSWORD, TEST_SECRET, free_port, token_for
from tests.test_concurrency import concurrent_client

CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def pgbouncer(database_url: str) -> Iterator[str]:
    """A PgBouncer in front of the test database; yields the app's URL through it."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("PgBouncer is PostgreSQL's")
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the PgBouncer test: apt-get install pgbouncer")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as name:
        directory = Path(name)
        directory.chmod(0o777)  # PgBouncer will not run as root: it drops to `postgres`
        (directory / "users.txt").write_text(f'"{url.username}" ""\n')
        config = CONFIG.format(host=url.host, port=url.port or 5432, listen_port=port, directory=directory)
        (directory / "pgbouncer.ini").write_text(config)
        user = ["-u", "postgres"] if os.geteuid() == 0 else []
        process = subprocess.Popen([binary, *user, str(directory / "pgbouncer.ini")])
        try:
            deadline = time.monotonic() + 10
            while not _listening(port):
                assert process.poll() is None, "PgBouncer exited"
                assert time.monotonic() < deadline, "PgBouncer did not start"
                time.sleep(0.05)
            yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        finally:
            process.terminate()
            process.wait(10)


async def _account_beside(url: str) -> int:
    """An author made straight in the database (the app without the setting may fail to make one)."""
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"statement_cache_size": 0})
    try:
        async with engine.begin() as connection:
            insert = text(
                "INSERT INTO author (username, email, created_at, updated_at) "
                "VALUES (:name, :email, now(), now()) RETURNING id"
            )
            name = f"pgbouncer.{uuid.uuid4().hex[:12]}"
            return int((await connection.execute(insert, {"name": name, "email": f"{name}@example.com"})).scalar_one())
    finally:
        await engine.dispose()


async def _mixed_load(url: str, *, pgbouncer: bool) -> Counter[int]:
    """200 requests, 20 at a time: creates, reads, lists and updates; the status codes seen."""
    settings = make_settings(url, pgbouncer=pgbouncer, pool_size=10, statement_timeout=0)
    app = create_app(msgspec.structs.replace(settings, app=AppSettings(check_migrations=False)))
    statuses: Counter[int] = Counter()
    async with concurrent_client(app) as client:
        author = {"id": await _account_beside(url)}
        headers = {"Authorization": f"Bearer {token_for(author['id'])}"}

        async def one(number: int) -> None:
            if number % 4 == 0:
                body = {"title": f"T{number}", "content": "C", "author_id": author["id"]}
                response = await client.post("/articles", json=body, headers=headers)
            elif number % 4 == 1:
                response = await client.get(f"/authors/{author['id']}")
            elif number % 4 == 2:
                response = await client.get("/articles", params={"author_id": author["id"]})
            else:
                body = {"first_name": f"Pg{number}"}
                response = await client.patch(f"/authors/{author['id']}", json=body, headers=headers)
            statuses[response.status_code] += 1

        for start in range(0, 200, 20):
            await asyncio.gather(*(one(number) for number in range(start, start + 20)))
    return statuses


async def test_several_workers_serve_the_app(database_url: str, engine: AsyncEngine) -> None:
    """The production command, with two workers, on the test database."""
    if not database_url.startswith("postgresql"):
        pytest.skip("production serving is on PostgreSQL")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with app_server(database_url, port, workers=2, env={"AUTH_SECRET": TEST_SECRET}):
        async with httpx.AsyncClient(base_url=base_url) as client:
            body = {"username": "two.workers", "email": "two@example.com", "password": PASSWORD}
            author = (await client.post("/authors", json=body)).json()
            author.pop("email")  # shown to its owner only
            # The served app hashes with pwdlib's recommended Argon2id parameters (the tests'
            # own apps use the lowest, for speed: tests/conftest.py).
            async with engine.connect() as connection:
                stored = await connection.scalar(text("SELECT password_hash FROM author WHERE id = :id"), author)
            assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
            # Each new connection may land on either worker: every one reads the committed row,
            # and takes the token (the workers share `auth.secret`).
            headers = {"Authorization": f"Bearer {token_for(author['id'])}"}
            for _ in range(20):
                async with httpx.AsyncClient(base_url=base_url) as fresh:
                    assert (await fresh.get(f"/authors/{author['id']}")).json() == author
                    assert (await fresh.get("/auth/me", headers=headers)).status_code == 200
            assert (await client.delete(f"/authors/{author['id']}", headers=headers)).status_code == 204


async def test_the_app_works_through_pgbouncer(pgbouncer: str) -> None:
    statuses = await _mixed_load(pgbouncer, pgbouncer=True)
    assert statuses == {200: 150, 201: 50}, statuses


async def test_without_the_setting_pgbouncer_breaks_prepared_statements(pgbouncer: str) -> None:
    """The control: the same load without ``pgbouncer = true`` fails, so the test above means something."""
    statuses = await _mixed_load(pgbouncer, pgbouncer=False)
    print(f"\nwithout the setting: {dict(statuses)}")
    assert set(statuses) - {200, 201}, statuses


async def test_each_app_closes_its_connections_at_shutdown(database_url: str, engine: AsyncEngine) -> None:
    """Advanced Alchemy 1.12 disposes only the first app's engine in a process; ours all close."""
    if not database_url.startswith("postgresql"):
        pytest.skip("counts PostgreSQL backends")
    for _ in range(3):
        app = create_app(Settings(app=AppSettings(check_migrations=False), database=DatabaseSettings(url=database_url)))
        async with concurrent_client(app) as client:
            await asyncio.gather(*(client.get("/authors") for _ in range(15)))
    async with engine.connect() as connection:
        others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        assert (await connection.execute(text(others))).scalar_one() == 0


def test_the_production_launcher_keeps_the_collector_off_long_lived_objects(database_url: str) -> None:
    """``blog.asgi.production_app`` freezes what start-up built; ``create_app`` (tests, ``litestar run``) does not."""
    probe = """
import gc
from litestar.testing import TestClient
from blog.asgi import YOUNG_GENERATION_THRESHOLD, production_app
with TestClient(app=production_app()) as client:
    assert client.get("/healthcheck").status_code == 200
    assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
"""
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
