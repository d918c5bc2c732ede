"""Where a read's time goes: ``GET /articles/{id}`` served by a ladder of apps, each one
layer more of the stack than the one before, up to the blog app itself.

    python -m bench.ladder                # 3 runs of 10 s per rung, 32 connections
    python -m bench.ladder --reuse        # reuse bench_throughput if it exists

The rungs (``rung_app`` builds each one but the floor and the app):

1. ``floor``: ``bench/floor.py``, asyncpg and msgspec under bare ASGI;
2. ``litestar``: a Litestar handler doing the same, on its own asyncpg pool;
3. ``+ pool``: the connection is checked out of SQLAlchemy's pool (the app's engine settings);
4. ``+ session``: ... through an ``AsyncSession``, as the Advanced Alchemy plugin provides it;
5. ``+ ORM``: the row is loaded by ``session.get`` instead of sent to the driver;
6. ``app``: the blog app (DI, service and repository, DTO, error handling, hooks).

Each rung's requests/s is printed with its share of the floor's: the drop from one rung to
the next is what that layer costs per request.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Response, get
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.common import THROUGHPUT_DATABASE, app_server, asgi_server, prepare_database
from bench.throughput import ARTICLES, AUTHORS, floor_server, load_options, scripts, wrk
from blog import postgres
from blog.asgi import freeze_long_lived_objects
from blog.database import database
from blog.models import Article
from blog.settings import DatabaseSettings

PORT = 8767
ENDPOINT = "GET /articles/{id}"
SQL = "SELECT id, title, content, author_id, created_at, updated_at FROM article WHERE id = $1"
RUNGS = ("floor", "litestar", "+ pool", "+ session", "+ ORM", "app")


def _json(value: Any) -> Response[bytes]:
    return Response(msgspec.json.encode(value), media_type="application/json")


def rung_app() -> Litestar:
    """The Litestar rung named by ``LADDER_RUNG``, on ``LADDER_DSN`` (``uvicorn --factory``)."""
    rung, dsn = os.environ["LADDER_RUNG"], os.environ["LADDER_DSN"]
    resources: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if rung == "litestar":
            resources["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        else:  # the app's own engine and read sessions' settings (blog.database, litestar.toml)
            url = dsn.replace("postgresql://", "postgresql+asyncpg://")
            resources["engine"] = database(DatabaseSettings(url=url)).reads.get_engine()
        yield
        if rung == "litestar":
            await resources["pool"].close()
        else:
            await resources["engine"].dispose()

    @get("/articles/{article_id:int}")
    async def get_article(article_id: int) -> Response[bytes]:
        if rung == "litestar":
            async with resources["pool"].acquire() as connection:
                return _json(dict(await connection.fetchrow(SQL, article_id)))
        engine: AsyncEngine = resources["engine"]
        if rung == "+ pool":
            async with engine.connect() as connection:
                driver = (await connection.get_raw_connection()).driver_connection
                return _json(dict(await driver.fetchrow(SQL, article_id)))  # type: ignore[union-attr]
        async with AsyncSession(engine, expire_on_commit=False) as session:
            if rung == "+ session":
                driver = (await (await session.connection()).get_raw_connection()).driver_connection
                return _json(dict(await driver.fetchrow(SQL, article_id)))  # type: ignore[union-attr]
            article = await session.get(Article, article_id)
            columns = ("id", "title", "content", "author_id", "created_at", "updated_at")
            return _json({column: getattr(article, column) for column in columns})

    @get("/healthcheck")
    async def healthcheck() -> dict[str, str]:
        return {"status": "ok"}

    # The production launcher's garbage-collector settings too: the rungs differ by their layers only.
    return Litestar([get_article, healthcheck], lifespan=[lifespan], on_startup=[freeze_long_lived_objects])


def _server(rung: str, database: str) -> Any:
    if rung == "floor":
        return floor_server(database, PORT, "uvicorn")
    if rung == "app":
        return app_server(database, PORT)
    dsn = postgres.asyncpg_dsn(database)
    return asgi_server("bench.ladder:rung_app", PORT, {"LADDER_RUNG": rung, "LADDER_DSN": dsn}, factory=True)


def main() -> None:
    args = load_options(__doc__, "rung")

    database = prepare_database(THROUGHPUT_DATABASE, AUTHORS, ARTICLES, reuse=args.reuse)
    rps: dict[str, list[float]] = {rung: [] for rung in RUNGS}
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "read.lua"
        script.write_text(scripts(tokens=[])[ENDPOINT])
        for run in range(args.runs):
            print(f"run {run + 1} of {args.runs}")
            for rung in RUNGS:
                with _server(rung, database):
                    wrk(PORT, script, args.warmup, args.connections)
                    rps[rung].append(wrk(PORT, script, args.duration, args.connections).rps)

    print(f"\n{ENDPOINT}, medians of {args.runs} runs; {args.duration} s per rung, {args.connections} connections")
    floor = statistics.median(rps["floor"])
    for rung in RUNGS:
        median = statistics.median(rps[rung])
        print(f"{rung:<12}{median:>10.0f} req/s{median / floor:>8.0%} of the floor")


if __name__ == "__main__":
    main()
