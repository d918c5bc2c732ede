"""The tutorial app this project started from (FastAPI, async SQLAlchemy), served beside the app.

It is the baseline of "a read by id at N x the tutorial app": the same machine, the same
number of rows, the same run. It is not part of this project: the benchmark takes its folder
(``app.py`` and ``fill.sql``) from ``BENCH_PEER_DIR``, by default ``../shared/peers/seed_fastapi``
beside the project, and goes on without it where there is none. It runs in a virtualenv of
its own (``bench/results/peer-venv``: FastAPI, SQLAlchemy, asyncpg, uvicorn with uvloop and
httptools), made on first use, on a database of its own (``bench_peer``) that it creates its
tables in and ``fill.sql`` fills.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from bench.common import ADMIN_URL, ROOT, serve
from blog import postgres

PEER_DIR_ENV = "BENCH_PEER_DIR"
DEFAULT_PEER_DIR = ROOT.parent / "shared" / "peers" / "seed_fastapi"
VENV = ROOT / "bench" / "results" / "peer-venv"
REQUIREMENTS = ("fastapi", "sqlalchemy[asyncio]", "asyncpg", "uvicorn", "uvloop", "httptools")
DATABASE = "bench_peer"


def peer_dir() -> Path | None:
    """The tutorial app's folder, if this machine has it."""
    directory = Path(os.environ.get(PEER_DIR_ENV, DEFAULT_PEER_DIR))
    return directory if (directory / "app.py").is_file() and (directory / "fill.sql").is_file() else None


def _uvicorn() -> Path:
    uvicorn = VENV / "bin" / "uvicorn"
    if not uvicorn.exists():
        print(f"installing the tutorial app's requirements into {VENV.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "pip"), "install", "--quiet", *REQUIREMENTS]
        subprocess.run(pip, check=True)
    return uvicorn


@contextlib.contextmanager
def peer_server(directory: Path, port: int, *, fill: bool) -> Iterator[subprocess.Popen[bytes]]:
    """The tutorial app on ``port``, as its README serves it; ``fill``: on a new database, then filled."""
    url = postgres.with_database(ADMIN_URL, DATABASE)
    if fill:
        asyncio.run(postgres.create_database(ADMIN_URL, DATABASE, replace=True))
    argv = [str(_uvicorn()), "app:app", "--port", str(port), "--log-level", "warning"]
    env = {"PEER_DATABASE_URL": url}
    # It answers /healthcheck with a 404, which is enough to know it listens.
    with serve(argv, port, env=env, cwd=directory) as process:
        if fill:  # its tables exist once it serves
            asyncio.run(_fill(url, (directory / "fill.sql").read_text()))
        yield process


async def _fill(url: str, sql: str) -> None:
    connection = await asyncpg.connect(postgres.asyncpg_dsn(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
