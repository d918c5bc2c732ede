"""The data generator fills a migrated database with rows the API serves (COPY on PostgreSQL)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.fixtures import fill, main
from blog.models import Article, Author


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

    # The API sees them, and its counters (kept by triggers on PostgreSQL) agree.
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


def test_command_line(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A sync test: the command runs its own event loop, as it does from a shell.
    main(["--authors", "0", "--articles", "0", "--database-url", database_url])
    assert "added 0 authors and 0 articles" in capsys.readouterr().out
