"""``litestar blog seed`` fills a migrated database with rows the API serves (COPY on PostgreSQL)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.models import Article, Author
from blog.seed import fill
from tests.test_migrations import run_cli


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        authors = await connection.scalar(select(func.count()).select_from(Author))
        articles = await connection.scalar(select(func.count()).select_from(Article))
    return authors or 0, articles or 0


async def test_fill_adds_the_rows_asked_for(app: Litestar, database_url: str, engine: AsyncEngine) -> None:
    await fill(database_url, authors=7, articles=120, seed=3)
    assert await _counts(engine) == (7, 120)

    async with engine.connect() as connection:
        orphans = await connection.scalar(
            text("SELECT count(*) FROM article WHERE author_id NOT IN (SELECT id FROM author)")
        )
    assert orphans == 0

    # The API sees them, and its counters (kept by triggers) agree.
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/articles", params={"pageSize": 5})
        assert response.status_code == 200
        assert response.headers["x-total-count"] == "120"
        assert len(response.json()) == 5
        response = await client.get("/authors")
        assert response.headers["x-total-count"] == "7"


async def test_fill_adds_to_what_is_there(app: Litestar, database_url: str, engine: AsyncEngine) -> None:
    await fill(database_url, authors=2, articles=3)
    await fill(database_url, authors=1, articles=4)
    assert await _counts(engine) == (3, 7)


async def test_articles_need_authors(database_url: str) -> None:
    with pytest.raises(ValueError, match="articles need authors"):
        await fill(database_url, authors=0, articles=5)


async def test_the_command(app: Litestar, database_url: str, engine: AsyncEngine) -> None:
    litestar = str(Path(sys.executable).with_name("litestar"))
    done = await asyncio.to_thread(
        run_cli, litestar, "blog", "seed", "--authors", "3", "--articles", "5", database_url=database_url
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "added 3 authors and 5 articles" in done.stdout
    assert await _counts(engine) == (3, 5)
