"""Fill the database with generated rows, fast: for demos and benchmarks.

    litestar blog seed --authors 10000 --articles 1000000

Authors; articles, each with a slug, a description and 0 to 3 tags from a fixed pool
(``TAGS``); about one favourite per two articles; and a few follows per new author. On
PostgreSQL the rows go in with ``COPY`` (asyncpg): a million articles with their tags and
favourites in about 20 s, the tables locked against other writers meanwhile (and against
readers too while a fill more than doubles them: see ``BULK_TABLES``); elsewhere (SQLite)
with batched inserts. Rows are added to what is there, never clash with it (a new
author's username and a new article's title and slug carry the row's id, new favourites are
of new articles and new follows by new authors), and the same seed gives the same rows on
the same database. The database must be migrated first (``litestar database upgrade``).
The command fills the app's database (``litestar.toml``/``DATABASE_URL``) unless
``--database-url`` names another.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate, islice, permutations
from typing import Any

import asyncpg
from sqlalchemy import func, insert, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from blog.models import Article, ArticleTag, Author, Favorite, Follow, Tag
from blog.postgres import asyncpg_dsn

WORDS = (
    *("engine", "analytical", "notes", "difference", "loom", "cards", "numbers", "bernoulli", "poetry"),
    *("science", "machine", "algorithm", "operation", "variable", "memory", "mill", "store", "punched"),
)
TAGS = WORDS
"""The tags generated articles are filed under (``?tag=engine``)."""
MAX_TAGS = 3
"""Tags per generated article: 0 to this many, as many articles with each number."""
FAVORITES_PER_ARTICLE = 0.5
FOLLOWS = (1, 5)
"""How many authors each new author follows: at least, at most (fewer when there are fewer)."""
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Dennis", "Frances")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Ritchie")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
BATCH = 50_000

AUTHOR_COLUMNS = ("id", "username", "email", "first_name", "last_name", "created_at", "updated_at")
ARTICLE_COLUMNS = (
    *("id", "slug", "title", "description", "content", "content_html", "author_id"),
    *("favorites_count", "created_at", "updated_at", "published_at"),
)
ARTICLE_TAG_COLUMNS = ("article_id", "tag_id", "position")
FAVORITE_COLUMNS = ("author_id", "article_id", "created_at")
FOLLOW_COLUMNS = ("follower_id", "followed_id", "created_at")


def _moment(rng: random.Random) -> datetime:
    return EPOCH + timedelta(microseconds=rng.randrange(SPAN_SECONDS * 1_000_000))


class Prose:
    """Runs of random ``WORDS``, fast: each a window of one long random text, cut out with a
    single slice (drawing every word of a million articles would cost seconds)."""

    def __init__(self, rng: random.Random, length: int = 1 << 16) -> None:
        words = rng.choices(WORDS, k=length + 100)
        self.text = " ".join(words)
        self.offsets = list(accumulate((len(word) + 1 for word in words), initial=0))
        self.length = length

    def words(self, rng: random.Random, least: int, most: int) -> str:
        """``least`` to ``most`` words (at most 100), separated by spaces, in lower case."""
        start, offsets = rng.randrange(self.length), self.offsets
        return self.text[offsets[start] : offsets[start + rng.randint(least, most)] - 1]

    def sentence(self, rng: random.Random, least: int, most: int) -> str:
        words = self.words(rng, least, most)
        return f"{words[0].upper()}{words[1:]}."


def author_rows(ids: Iterable[int], rng: random.Random) -> Iterator[tuple[int, str, str, str, str, datetime, datetime]]:
    """Authors without a password (``litestar users set-password`` gives one); their usernames
    carry their ids, so that they are new to the database."""
    for author_id in ids:
        first, last, moment = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), _moment(rng)
        username = f"{first}.{last}.{author_id}".lower()
        yield author_id, username, f"{username}@example.com", first, last, moment, moment


def pick_favorites(author_ids: Sequence[int], articles: int, rng: random.Random) -> list[tuple[int, int]]:
    """About ``FAVORITES_PER_ARTICLE`` favourites per article: distinct (author index, article
    index) pairs, any author, ordered as the ``favorite`` table's primary key is."""
    count = int(articles * FAVORITES_PER_ARTICLE)
    chosen = sorted(rng.sample(range(len(author_ids) * articles), count)) if author_ids else []
    return [divmod(pair, articles) for pair in chosen]


def as_html(prose: str) -> str:
    """Generated prose rendered as the app renders Markdown: it holds only words, spaces and a
    full stop, so it is one paragraph (a test checks it against the renderer, which would cost
    a million articles half a minute)."""
    return f"<p>{prose}</p>\n"


def article_rows(
    ids: Sequence[int], author_ids: Sequence[int], favorites_counts: Sequence[int] | None, rng: random.Random
) -> Iterator[tuple[int, str, str, str, str, str, int, int, datetime, datetime, datetime]]:
    """Published articles whose title and slug end in their id (so each is new to the database);
    ``favorites_counts`` per article, or 0 for triggers to count."""
    prose = Prose(rng)
    for index, article_id in enumerate(ids):
        words = prose.words(rng, 2, 6)
        title = f"{words[0].upper()}{words[1:]} {article_id}"
        slug = f"{words.replace(' ', '-')}-{article_id}"  # Advanced Alchemy's slugify(title)
        description, content = prose.sentence(rng, 4, 10), prose.sentence(rng, 20, 60)
        moment = _moment(rng)
        favorites = favorites_counts[index] if favorites_counts is not None else 0
        author_id = rng.choice(author_ids)
        yield (
            article_id,
            slug,
            title,
            description,
            content,
            as_html(content),
            author_id,
            favorites,
            moment,
            moment,
            moment,
        )


def article_tag_rows(
    article_ids: Iterable[int], tag_ids: Sequence[int], rng: random.Random
) -> Iterator[tuple[int, int, int]]:
    """0 to ``MAX_TAGS`` distinct tags per article (each number as likely), at positions 0, 1..."""
    # Every ordered choice of k tags, for each k: one draw picks an article's tags.
    choices = [list(permutations(tag_ids, size)) for size in range(min(MAX_TAGS, len(tag_ids)) + 1)]
    for article_id in article_ids:
        draw = rng.random() * len(choices)
        group = choices[int(draw)]
        for position, tag_id in enumerate(group[int((draw % 1) * len(group))]):
            yield article_id, tag_id, position


def favorite_rows(
    favorites: Iterable[tuple[int, int]], author_ids: Sequence[int], article_ids: Sequence[int], rng: random.Random
) -> Iterator[tuple[int, int, datetime]]:
    for author_index, article_index in favorites:
        yield author_ids[author_index], article_ids[article_index], _moment(rng)


def follow_rows(
    follower_ids: Iterable[int], author_ids: Sequence[int], rng: random.Random
) -> Iterator[tuple[int, int, datetime]]:
    """Each of ``follower_ids`` (new authors) follows a few of ``author_ids``, never themselves."""
    least, most = FOLLOWS
    for follower_id in follower_ids:
        count = min(rng.randint(least, most), len(author_ids) - 1)
        if count <= 0:
            continue
        followed = [author_id for author_id in rng.sample(author_ids, count + 1) if author_id != follower_id]
        for followed_id in followed[:count]:
            yield follower_id, followed_id, _moment(rng)


def favorites_counts(favorites: Iterable[tuple[int, int]], articles: int) -> list[int]:
    counts = [0] * articles
    for _, article_index in favorites:
        counts[article_index] += 1
    return counts


# --- PostgreSQL: COPY --------------------------------------------------------------------------


async def _reserve_ids(connection: asyncpg.Connection[Any], table: str, count: int) -> range:
    """``count`` consecutive ids from ``table``'s identity sequence, which will not hand them out
    again; the caller holds a lock that keeps other writers of ``table`` waiting meanwhile."""
    if not count:
        return range(0)
    last = await connection.fetchval(
        "SELECT setval(sequence, nextval(sequence) + $2 - 1)"
        " FROM CAST(pg_get_serial_sequence($1, 'id') AS regclass) AS sequence",
        table,
        count,
    )
    return range(last - count + 1, last + 1)


BULK_TABLES = ("article", "article_tag", "favorite")
"""Filled by the million: loaded without their secondary indexes and constraints, which are
made again afterwards (one sort each, instead of a million random inserts and checks)."""
SET_ASIDE = """
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)),
           contype = 'f'
    FROM pg_constraint WHERE conrelid = ANY($1::regclass[]) AND contype IN ('u', 'f')
    UNION ALL
    SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid), false
    FROM pg_index
    WHERE indrelid = ANY($1::regclass[]) AND NOT indisprimary
      AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = indexrelid AND conrelid = indrelid)
    ORDER BY 3, 1
"""


async def _set_aside_indexes(connection: asyncpg.Connection[Any]) -> list[str]:
    """Drop the secondary indexes, unique and foreign keys of ``BULK_TABLES``; return the
    statements that make them again as they were (foreign keys last, once their keys are back).

    Inside the transaction: if anything fails, PostgreSQL puts them back with the rest."""
    statements = await connection.fetch(SET_ASIDE, list(BULK_TABLES))
    for drop, _, _ in statements:
        await connection.execute(drop)
    return [create for _, create, _ in statements]


async def _fill_postgres(url: str, authors: int, articles: int, rng: random.Random) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            # Others' inserts wait (their ids must not fall among the reserved ones); reads go on.
            await connection.execute("LOCK TABLE author, article IN SHARE ROW EXCLUSIVE MODE")
            new_authors = await _reserve_ids(connection, "author", authors)
            await connection.copy_records_to_table(
                "author", records=author_rows(new_authors, rng), columns=AUTHOR_COLUMNS
            )
            author_ids = [row["id"] for row in await connection.fetch("SELECT id FROM author ORDER BY id")]
            if articles:
                # More new articles than there are already: rebuilding the indexes costs less than
                # updating them (reads of these tables wait till the commit, though).
                there = await connection.fetchval("SELECT count(*) FROM (SELECT FROM article LIMIT $1) AS s", articles)
                rebuild = await _set_aside_indexes(connection) if there < articles else []
                article_ids = await _reserve_ids(connection, "article", articles)
                favorites = pick_favorites(author_ids, articles, rng)
                # The counts go in with the articles: the favourites' row trigger is off for their COPY.
                await connection.copy_records_to_table(
                    "article",
                    records=article_rows(article_ids, author_ids, favorites_counts(favorites, articles), rng),
                    columns=ARTICLE_COLUMNS,
                )
                await connection.execute(
                    "INSERT INTO tag (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING", TAGS
                )
                tag_ids = [
                    row["id"]
                    for row in await connection.fetch("SELECT id FROM tag WHERE name = ANY($1) ORDER BY id", TAGS)
                ]
                await connection.copy_records_to_table(
                    "article_tag", records=article_tag_rows(article_ids, tag_ids, rng), columns=ARTICLE_TAG_COLUMNS
                )
                # Row by row, the trigger would update an article per favourite; the counts are in
                # already. Disabling it locks `favorite` until the transaction ends: no one else
                # adds or removes a favourite uncounted meanwhile.
                await connection.execute("ALTER TABLE favorite DISABLE TRIGGER favorite_counted")
                await connection.copy_records_to_table(
                    "favorite",
                    records=favorite_rows(favorites, author_ids, article_ids, rng),
                    columns=FAVORITE_COLUMNS,
                )
                await connection.execute("ALTER TABLE favorite ENABLE TRIGGER favorite_counted")
                for statement in rebuild:
                    await connection.execute(statement)
            await connection.copy_records_to_table(
                "follow", records=follow_rows(new_authors, author_ids, rng), columns=FOLLOW_COLUMNS
            )
        # Fresh statistics, so the planner knows the tables are large now.
        await connection.execute("ANALYZE author, article, tag, article_tag, favorite, follow")
    finally:
        await connection.close()


# --- Elsewhere (SQLite): batched inserts; the triggers count the favourites ------------------------


async def _next_id(connection: AsyncConnection, model: type[Author | Article]) -> int:
    """The first id never used in ``model``'s table (SQLite's AUTOINCREMENT remembers deleted ones)."""
    highest = int((await connection.execute(select(func.coalesce(func.max(model.id), 0)))).scalar_one())
    if connection.dialect.name == "sqlite":
        used = await connection.scalar(
            text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": model.__tablename__}
        )
        highest = max(highest, int(used or 0))
    return highest + 1


async def _insert(
    connection: AsyncConnection, model: type[Any], columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    generated = iter(rows)
    while batch := [dict(zip(columns, row, strict=True)) for row in islice(generated, BATCH)]:
        await connection.execute(insert(model), batch)


async def _fill_other(url: str, authors: int, articles: int, rng: random.Random) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            first_author = await _next_id(connection, Author)
            new_authors = range(first_author, first_author + authors)
            await _insert(connection, Author, AUTHOR_COLUMNS, author_rows(new_authors, rng))
            author_ids = list((await connection.execute(select(Author.id).order_by(Author.id))).scalars())
            if articles:
                first_article = await _next_id(connection, Article)
                article_ids = range(first_article, first_article + articles)
                favorites = pick_favorites(author_ids, articles, rng)
                await _insert(connection, Article, ARTICLE_COLUMNS, article_rows(article_ids, author_ids, None, rng))
                existing = set((await connection.execute(select(Tag.name).where(Tag.name.in_(TAGS)))).scalars())
                if missing := [{"name": name} for name in TAGS if name not in existing]:
                    await connection.execute(insert(Tag), missing)
                tag_ids = list(
                    (await connection.execute(select(Tag.id).where(Tag.name.in_(TAGS)).order_by(Tag.id))).scalars()
                )
                await _insert(connection, ArticleTag, ARTICLE_TAG_COLUMNS, article_tag_rows(article_ids, tag_ids, rng))
                await _insert(
                    connection, Favorite, FAVORITE_COLUMNS, favorite_rows(favorites, author_ids, article_ids, rng)
                )
            await _insert(connection, Follow, FOLLOW_COLUMNS, follow_rows(new_authors, author_ids, rng))
    finally:
        await engine.dispose()


async def fill(url: str, authors: int, articles: int, seed: int = 1) -> None:
    """Add ``authors`` authors and ``articles`` articles (spread over all authors), with their
    tags, favourites and the new authors' follows, to ``url``."""
    if articles and not authors:
        msg = "articles need authors: pass --authors too"
        raise ValueError(msg)
    rng = random.Random(seed)  # sample data, not secrets
    if make_url(url).get_backend_name() == "postgresql":
        await _fill_postgres(url, authors, articles, rng)
    else:
        await _fill_other(url, authors, articles, rng)
