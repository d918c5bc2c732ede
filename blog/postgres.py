"""PostgreSQL housekeeping shared by the seed command, the tests and the benchmarks."""

from __future__ import annotations

import asyncpg
from sqlalchemy import make_url


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://...``) as the DSN asyncpg itself takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    """``url`` (any database on a server) pointed at database ``name`` on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def create_database(server_url: str, name: str, *, replace: bool = False) -> str:
    """Create database ``name`` on ``server_url``'s server (dropping it first if ``replace``); its URL."""
    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        if replace:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` on ``server_url``'s server, disconnecting whoever is still on it."""
    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def database_exists(server_url: str, name: str) -> bool:
    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await admin.close()
