"""Fill the database with generated authors and articles, fast: for demos and benchmarks.

    litestar blog seed --authors 10000 --articles 1000000

On PostgreSQL the rows go in with ``COPY`` (asyncpg), a million articles in seconds; on
SQLite with batched inserts. Rows are added to what is there; the database must be
migrated first (``litestar database upgrade``). The command fills the app's database
(``litestar.toml``/``DATABASE_URL``) unless ``--database-url`` names another.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import asyncpg
from sqlalchemy import func, insert, make_url, select
from sqlalchemy.ext.asyncio import create_async_engine

from blog.models import Article, Author
from blog.postgres import asyncpg_dsn

WORDS = (
    *("engine", "analytical", "notes", "difference", "loom", "cards", "numbers", "bernoulli", "poetry"),
    *("science", "machine", "algorithm", "operation", "variable", "memory", "mill", "store", "punched"),
)
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Dennis", "Frances")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Ritchie")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
BATCH = 50_000


def _moment(rng: random.Random) -> datetime:
    return EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS), microseconds=rng.randrange(1_000_000))


AUTHOR_COLUMNS = ("username", "email", "first_name", "last_name", "created_at", "updated_at")


def author_rows(
    count: int, first_number: int, rng: random.Random
) -> Iterator[tuple[str, str, str, str, datetime, datetime]]:
    """Authors without a password (``litestar users set-password`` gives one), numbered from
    ``first_number`` so that their usernames are new to the database."""
    for number in range(first_number, first_number + count):
        first, last, moment = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), _moment(rng)
        username = f"{first}.{last}.{number}".lower()
        yield username, f"{username}@example.com", first, last, moment, moment


def article_rows(
    count: int, author_ids: list[int], rng: random.Random
) -> Iterator[tuple[str, str, int, datetime, datetime]]:
    for number in range(count):
        title = " ".join(rng.choices(WORDS, k=rng.randint(2, 6))).capitalize()
        content = " ".join(rng.choices(WORDS, k=rng.randint(20, 60))).capitalize() + "."
        moment = _moment(rng)
        yield f"{title} {number}", content, rng.choice(author_ids), moment, moment


async def _fill_postgres(url: str, authors: int, articles: int, rng: random.Random) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            first_number = await connection.fetchval("SELECT coalesce(max(id), 0) + 1 FROM author")
            await connection.copy_records_to_table(
                "author", records=author_rows(authors, first_number, rng), columns=AUTHOR_COLUMNS
            )
            author_ids = [row["id"] for row in await connection.fetch("SELECT id FROM author")]
            if articles:
                await connection.copy_records_to_table(
                    "article",
                    records=article_rows(articles, author_ids, rng),
                    columns=["title", "content", "author_id", "created_at", "updated_at"],
                )
        # Fresh statistics, so the planner knows the tables are large now.
        await connection.execute("ANALYZE author; ANALYZE article")
    finally:
        await connection.close()


async def _fill_other(url: str, authors: int, articles: int, rng: random.Random) -> None:
    engine = create_async_engine(url)
    article_columns = ("title", "content", "author_id", "created_at", "updated_at")
    try:
        async with engine.begin() as connection:
            first_number = int(
                (await connection.execute(select(func.coalesce(func.max(Author.id), 0) + 1))).scalar_one()
            )
            rows: list[dict[str, Any]] = [
                dict(zip(AUTHOR_COLUMNS, row, strict=True)) for row in author_rows(authors, first_number, rng)
            ]
            for start in range(0, len(rows), BATCH):
                await connection.execute(insert(Author), rows[start : start + BATCH])
            author_ids = list((await connection.execute(select(Author.id))).scalars())
            generated = article_rows(articles, author_ids, rng)
            while batch := [dict(zip(article_columns, row, strict=True)) for row in islice(generated, BATCH)]:
                await connection.execute(insert(Article), batch)
    finally:
        await engine.dispose()


async def fill(url: str, authors: int, articles: int, seed: int = 1) -> None:
    """Add ``authors`` authors and ``articles`` articles (spread over all authors) to ``url``."""
    if articles and not authors:
        msg = "articles need authors: pass --authors too"
        raise ValueError(msg)
    rng = random.Random(seed)  # sample data, not secrets
    if make_url(url).get_backend_name() == "postgresql":
        await _fill_postgres(url, authors, articles, rng)
    else:
        await _fill_other(url, authors, articles, rng)
