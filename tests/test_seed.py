"""``litestar blog seed`` fills a migrated database with rows the API serves (COPY on PostgreSQL):
authors, articles with unique slugs and tags, favourites (counted on the articles) and follows."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from advanced_alchemy.utils.text import slugify
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from blog.domain.articles.services import SLUG_LENGTH
from blog.seed import FAVORITES_PER_ARTICLE, FOLLOWS, MAX_TAGS, TAGS, fill
from tests.helpers import TEST_SECRET
from tests.test_migrations import check, run_cli

NEW_TABLES = ("favorite", "follow", "article_tag", "comment", "tag")


async def empty_new_tables(engine: AsyncEngine) -> None:
    """What the shared ``app`` fixture leaves behind on SQLite: it deletes authors and articles
    without foreign keys enforced (no cascade), then hands their ids out again."""
    async with engine.begin() as connection:
        for table in NEW_TABLES:
            await connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
async def seeded_app(app: Litestar, engine: AsyncEngine) -> AsyncIterator[Litestar]:
    """The app, on a database with no row at all (emptied again afterwards)."""
    await empty_new_tables(engine)
    yield app
    await empty_new_tables(engine)


async def scalar(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text(sql)) or 0)


async def mapping(connection: AsyncConnection, sql: str) -> dict[Any, Any]:
    """The first column of each row -> the second."""
    return {row[0]: row[1] for row in await connection.execute(text(sql))}


async def assert_seeded(engine: AsyncEngine, authors: int, articles: int, *, favorites: int) -> None:
    """The database holds ``authors`` authors, ``articles`` articles and ``favorites``
    favourites, all consistent, and every author follows someone."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(text("SELECT id, title, slug, description, favorites_count FROM article"))
        ).all()
        links = (await connection.execute(text("SELECT article_id, tag_id, position FROM article_tag"))).all()
        tags = await mapping(connection, "SELECT id, name FROM tag")
        fans = (await connection.execute(text("SELECT author_id, article_id FROM favorite"))).all()
        follows = (await connection.execute(text("SELECT follower_id, followed_id FROM follow"))).all()
        author_ids = set((await connection.execute(text("SELECT id FROM author"))).scalars())
        kept = await mapping(connection, "SELECT table_name, sum(n) FROM row_count GROUP BY table_name")
        orphans = await connection.scalar(
            text("SELECT count(*) FROM article WHERE author_id NOT IN (SELECT id FROM author)")
        )
    assert (len(author_ids), len(rows)) == (authors, articles)
    assert orphans == 0
    # The counts the triggers keep (what `X-Total-Count` of an unfiltered listing says).
    assert (int(kept.get("author", 0)), int(kept.get("article", 0))) == (authors, articles)

    # Unique slugs, each Advanced Alchemy's slug of the title; a description each.
    assert len({row.slug for row in rows}) == len(rows)
    for row in rows:
        assert row.slug == slugify(row.title)[:SLUG_LENGTH], row
        assert len(row.slug) <= 100
        assert row.description.strip(), row

    # Tags from the pool, at positions 0..n-1 in each article; some articles have none.
    assert set(tags.values()) <= set(TAGS)
    positions: defaultdict[int, list[int]] = defaultdict(list)
    for link in links:
        assert link.tag_id in tags, link
        positions[link.article_id].append(link.position)
    article_ids = {row.id for row in rows}
    assert set(positions) <= article_ids
    for found in positions.values():
        assert sorted(found) == list(range(len(found))), found
        assert len(found) <= MAX_TAGS
    if articles >= 20:
        assert 0 < len(positions) < articles

    # Favourites: distinct pairs of existing rows, counted on each article.
    assert len(fans) == favorites
    assert len(set(fans)) == len(fans)
    assert {fan.author_id for fan in fans} <= author_ids
    assert {fan.article_id for fan in fans} <= article_ids
    per_article = Counter(fan.article_id for fan in fans)
    assert {row.id: row.favorites_count for row in rows} == {row.id: per_article[row.id] for row in rows}

    # Follows: between existing authors, never oneself, a few per new author.
    assert all(follow.follower_id != follow.followed_id for follow in follows)
    assert len(set(follows)) == len(follows)
    assert {id_ for follow in follows for id_ in follow} <= author_ids
    per_follower = Counter(follow.follower_id for follow in follows)
    assert set(per_follower) == (author_ids if authors > 1 else set())
    assert all(count <= FOLLOWS[1] for count in per_follower.values())


async def test_fill_adds_the_rows_asked_for(seeded_app: Litestar, database_url: str, engine: AsyncEngine) -> None:
    await fill(database_url, authors=7, articles=120, seed=3)
    await assert_seeded(engine, 7, 120, favorites=int(120 * FAVORITES_PER_ARTICLE))
    async with engine.connect() as connection:
        tagged = await mapping(
            connection,
            "SELECT tag.name, count(*) FROM article_tag JOIN tag ON tag.id = article_tag.tag_id GROUP BY tag.name",
        )
        slugs = await mapping(connection, "SELECT id, slug FROM article")
    name, count = max(tagged.items(), key=lambda item: item[1])

    # The API sees them, and its counters (kept by triggers) agree.
    async with AsyncTestClient(app=seeded_app) as client:
        response = await client.get("/articles", params={"pageSize": 5})
        assert response.status_code == 200, response.text
        assert response.headers["x-total-count"] == "120"
        page = response.json()
        assert len(page) == 5
        assert all(article["slug"] == slugs[article["id"]] for article in page)

        response = await client.get("/articles", params={"tag": name, "pageSize": 100})
        assert response.status_code == 200, response.text
        assert response.headers["x-total-count"] == str(count)
        assert len(response.json()) == count
        assert all(name in article["tags"] for article in response.json())

        response = await client.get("/authors")
        assert response.headers["x-total-count"] == "7"


async def test_fill_adds_to_what_is_there(seeded_app: Litestar, database_url: str, engine: AsyncEngine) -> None:
    # The same seed twice: the same random words, yet new slugs and usernames (no clash).
    await fill(database_url, authors=2, articles=3)
    await fill(database_url, authors=2, articles=3)
    await fill(database_url, authors=3, articles=40)
    favorites = sum(int(n * FAVORITES_PER_ARTICLE) for n in (3, 3, 40))
    await assert_seeded(engine, 7, 46, favorites=favorites)

    # The newest article deleted (with what hangs on it): its id is not handed out again.
    async with engine.begin() as connection:
        newest = await connection.scalar(text("SELECT max(id) FROM article"))
        for table in ("favorite", "article_tag"):
            gone = await connection.execute(text(f"DELETE FROM {table} WHERE article_id = :id"), {"id": newest})
            favorites -= gone.rowcount if table == "favorite" else 0
        await connection.execute(text("DELETE FROM article WHERE id = :id"), {"id": newest})
    await fill(database_url, authors=1, articles=30)
    await assert_seeded(engine, 8, 75, favorites=favorites + int(30 * FAVORITES_PER_ARTICLE))
    assert await scalar(engine, f"SELECT count(*) FROM article WHERE id = {int(newest)}") == 0


async def test_fill_keeps_the_schema(seeded_app: Litestar, database_url: str) -> None:
    """On PostgreSQL a large fill sets the indexes and constraints aside and makes them again:
    as they were, which `alembic check` would notice otherwise."""
    await fill(database_url, authors=3, articles=50)
    await asyncio.to_thread(check, database_url)


async def test_articles_need_authors(database_url: str) -> None:
    with pytest.raises(ValueError, match="articles need authors"):
        await fill(database_url, authors=0, articles=5)


async def test_the_command(seeded_app: Litestar, database_url: str, engine: AsyncEngine) -> None:
    litestar = str(Path(sys.executable).with_name("litestar"))
    done = await asyncio.to_thread(
        run_cli,
        litestar,
        "blog",
        "seed",
        "--authors",
        "3",
        "--articles",
        "5",
        database_url=database_url,
        env={"AUTH_SECRET": TEST_SECRET},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "added 3 authors and 5 articles" in done.stdout
    await assert_seeded(engine, 3, 5, favorites=int(5 * FAVORITES_PER_ARTICLE))
