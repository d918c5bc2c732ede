"""Shared by the benchmarks: throwaway databases filled by the data generator, and a
uvicorn server for the app on one of them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import jwt
from alembic import command

from blog import postgres
from blog.database import alembic_config
from blog.seed import fill

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
THROUGHPUT_DATABASE = os.environ.get("BENCH_DATABASE", "bench_throughput")
"""The generated database most benchmarks share (10k authors, 100k articles); ``BENCH_DATABASE``
names another, e.g. to measure a branch whose migrations the shared one must not take."""
BENCH_SECRET = "the benchmarks' token key, 32 bytes or more"
"""``AUTH_SECRET`` of the servers started here, so that every worker takes the same tokens."""


def tokens(count: int, authors: int) -> list[str]:
    """Tokens for ``count`` of the first ``authors`` authors, as the app issues them (``BENCH_SECRET``)."""
    now = datetime.now(UTC)
    return [
        jwt.encode(
            {"sub": str(author), "iat": now, "exp": now + timedelta(hours=2), "jti": uuid.uuid4().hex},
            BENCH_SECRET,
            algorithm="HS256",
        )
        for author in random.Random(count).sample(range(1, authors + 1), count)
    ]


def prepare_database(name: str, authors: int, articles: int, *, reuse: bool) -> str:
    """A migrated PostgreSQL database ``name`` holding generated rows; kept if ``reuse``."""
    config = alembic_config(postgres.with_database(ADMIN_URL, name))
    config.attributes["configure_logging"] = False
    if reuse and asyncio.run(postgres.database_exists(ADMIN_URL, name)):
        print(f"reusing database {name}")
        command.upgrade(config, "head")  # what the app expects, its data carried over
        url = postgres.with_database(ADMIN_URL, name)
        asyncio.run(vacuum(url))  # a migration may have rewritten rows
        return url
    url = asyncio.run(postgres.create_database(ADMIN_URL, name, replace=True))
    command.upgrade(config, "head")
    started = time.perf_counter()
    asyncio.run(fill(url, authors, articles))
    asyncio.run(vacuum(url))
    print(f"database {name}: {authors} authors, {articles} articles ({time.perf_counter() - started:.1f} s)")
    return url


async def vacuum(url: str) -> None:
    """``VACUUM (ANALYZE)`` the database, as autovacuum would in time: the triggers that keep the
    search vectors update each article a fill gives tags, and the dead rows would slow scans."""
    connection = await asyncpg.connect(postgres.asyncpg_dsn(url))
    try:
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()


@contextlib.contextmanager
def serve(
    argv: list[str], port: int, env: dict[str, str] | None = None, log: Path | None = None, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until it answers on ``port``; stop it afterwards.

    Its output goes to ``log`` (appended), or is discarded. A server that does not start is
    named, to be run by hand.
    """
    environment = {**os.environ, **(env or {})}
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(argv, cwd=cwd, env=environment, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthcheck", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; run it by hand to see why: {' '.join(argv)}") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(10)
        if log is not None:
            output.close()  # type: ignore[union-attr]


SERVERS = ("uvicorn", "granian")
"""The ASGI servers a benchmark can run the app and the floor under."""
SERVING_DOCS = ROOT / "docs" / "serving.md"


def documented_command(server: str, port: int, workers: int, docs: Path = SERVING_DOCS) -> list[str]:
    """The production command of ``server`` exactly as docs/serving.md gives it (its first one),
    with only the host, the port and the number of workers changed; its environment assignments
    (``DATABASE_URL=...``) are left to the caller, and ``.venv/bin/`` means this Python's."""
    text = docs.read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        words = shlex.split(block.replace("\\\n", " "))
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            words.pop(0)
        if words and Path(words[0]).name == server:
            break
    else:
        raise LookupError(f"docs/serving.md gives no {server} command")
    argv = [str(Path(sys.executable).with_name(server)), *words[1:]]
    for option, value in (("--host", "127.0.0.1"), ("--port", str(port)), ("--workers", str(workers))):
        if option in argv:
            argv[argv.index(option) + 1] = value
        else:
            argv += [option, value]
    return argv


def asgi_server(
    target: str,
    port: int,
    env: dict[str, str],
    *,
    server: str = "uvicorn",
    factory: bool = False,
    workers: int = 1,
    log: Path | None = None,
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """``target`` under ``server``, as in production: uvloop (and httptools), no access log."""
    factory_flag = ["--factory"] if factory else []
    if server == "granian":
        argv = [sys.executable, "-m", "granian", "--interface", "asgi", *factory_flag, target]
        argv += ["--loop", "uvloop", "--no-access-log", "--log-level", "warning"]
    else:
        argv = [sys.executable, "-m", "uvicorn", *factory_flag, target]
        argv += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    argv += ["--port", str(port), "--workers", str(workers)]
    return serve(argv, port, env=env, log=log)


def app_server(
    database: str,
    port: int,
    *,
    server: str = "uvicorn",
    workers: int = 1,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    cwd: Path = ROOT,
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """The app on ``database``, served by the production command of docs/serving.md; ``env`` adds
    settings. Its log (a JSON line per request) goes to ``log``, as a collector would take it.
    ``cwd``: another checkout of the project to serve (the server imports ``blog`` from there)."""
    settings = {"DATABASE_URL": database, "AUTH_SECRET": BENCH_SECRET, **(env or {})}
    # A checkout is served as its own docs say.
    command = documented_command(server, port, workers, docs=cwd / "docs" / "serving.md")
    return serve(command, port, env=settings, log=log, cwd=cwd)
