"""PostgreSQL's plans for the statements behind the RealWorld listings, at 100,000 articles.

    python -m bench.plans            # builds bench_throughput (10k authors, 100k articles) if needed
    python -m bench.plans --fresh    # builds it again

Runs the services' own calls (the tag, author and favourites filters, the feed, a reader's
marks on a page, an article's comments, the popular tags, full-text searches), records every
statement they send, and prints ``EXPLAIN (ANALYZE, COSTS OFF)`` of each: which index serves
it, and its time. A search for a rare word must use the GIN index ``ix_article_search_vector``:
the command fails if it does not (``BENCH_DATABASE`` names another database than
``bench_throughput``).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from advanced_alchemy.filters import LimitOffset, OrderBy
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.common import THROUGHPUT_DATABASE, prepare_database
from bench.throughput import ARTICLES, AUTHORS, COMMON_WORD
from blog.domain.articles.models import ArticleTag, Favorite
from blog.domain.articles.publishing import PublicOnly, now
from blog.domain.articles.services import ArticleService, by_username, favorited_by, followed_by
from blog.domain.authors.models import Author
from blog.domain.comments.services import CommentService
from blog.domain.profiles.models import Follow
from blog.domain.tags.models import Tag
from blog.domain.tags.services import TagService
from blog.settings import load_settings

PAGE = [LimitOffset(limit=20, offset=0), OrderBy(field_name="created_at", sort_order="desc")]
SEARCH_INDEX = "ix_article_search_vector"


RARE_TAG = "bench-rare"
"""A tag on one article only: the generated tags are all common."""


async def subjects(session: AsyncSession) -> dict[str, Any]:
    """A reader who follows and favourites (the most active one), the most used tag, and a rare one."""
    await session.execute(text("INSERT INTO tag (name) VALUES (:name) ON CONFLICT DO NOTHING"), {"name": RARE_TAG})
    await session.execute(
        text(
            "INSERT INTO article_tag (article_id, tag_id, position) SELECT min(article.id), tag.id, 99 "
            "FROM article, tag WHERE tag.name = :name GROUP BY tag.id ON CONFLICT DO NOTHING"
        ),
        {"name": RARE_TAG},
    )
    await session.commit()
    follower = select(Follow.follower_id).group_by(Follow.follower_id).order_by(func.count().desc()).limit(1)
    reader_id = await session.scalar(follower)
    fan = select(Favorite.author_id).group_by(Favorite.author_id).order_by(func.count().desc()).limit(1)
    fan_name = await session.scalar(select(Author.username).where(Author.id == fan.scalar_subquery()))
    tag = select(Tag.name).join(ArticleTag).group_by(Tag.name).order_by(func.count().desc()).limit(1)
    author = await session.scalar(select(Author.username).where(Author.id == reader_id))
    return {
        "reader_id": reader_id,
        "fan": fan_name,
        "tag": await session.scalar(tag),
        "rare": RARE_TAG,
        "author": author,
    }


def cases(s: dict[str, Any]) -> dict[str, Callable[[AsyncSession], Awaitable[Any]]]:
    def page(condition: Any) -> Callable[[AsyncSession], Awaitable[Any]]:
        return lambda session: ArticleService(session=session).page_with_authors([condition, *PAGE])

    def tag_page(name: str) -> Callable[[AsyncSession], Awaitable[Any]]:
        async def run(session: AsyncSession) -> Any:
            articles = ArticleService(session=session)
            return await articles.page_with_authors([await articles.tagged(name), *PAGE])

        return run

    async def marks(session: AsyncSession) -> Any:
        articles = ArticleService(session=session)
        items, _ = await articles.page_with_authors(PAGE)
        return await articles.reader_marks(s["reader_id"], items)

    def search(q: str, *, ranked: bool = True) -> Callable[[AsyncSession], Awaitable[Any]]:
        async def run(session: AsyncSession) -> Any:
            # As GET /articles?q= lists them: the relevance first, then the listing's order.
            articles = ArticleService(session=session)
            found = articles.matching(q, load_settings().search.language, ranked=ranked)
            orders = [condition for condition in found if isinstance(condition, OrderBy)]
            conditions = [condition for condition in found if not isinstance(condition, OrderBy)]
            page = [LimitOffset(limit=20, offset=0), OrderBy(field_name="published_at", sort_order="desc")]
            return await articles.read_page([*orders, *page, PublicOnly(now()), *conditions])

        return run

    return {
        f"GET /articles?q={ARTICLES // 2} (an article's number: one match) {SEARCH_INDEX}": search(str(ARTICLES // 2)),
        f"GET /articles?q={s['rare']} (a tag written with SQL: one match) {SEARCH_INDEX}": search(s["rare"]),
        f"GET /articles?q={COMMON_WORD} (in most articles, ranked)": search(COMMON_WORD),
        f"GET /articles?q={COMMON_WORD}&orderBy=published_at": search(COMMON_WORD, ranked=False),
        f"GET /api/articles?tag={s['tag']} (the most used)": tag_page(s["tag"]),
        f"GET /api/articles?tag={s['rare']} (on one article)": tag_page(s["rare"]),
        f"GET /api/articles?author={s['author']}": page(by_username(s["author"])),
        f"GET /api/articles?favorited={s['fan']}": page(favorited_by(s["fan"])),
        f"GET /api/articles/feed (author {s['reader_id']})": page(followed_by(s["reader_id"])),
        "a reader's favourites and follows on a page": marks,
        "GET /api/articles/{slug}/comments": lambda session: CommentService(session=session).on_article(ARTICLES // 2),
        "GET /api/tags": lambda session: TagService(session=session).popular(),
    }


async def explain(url: str) -> None:
    engine = create_async_engine(url)
    sent: list[tuple[str, Any]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        sent.append((statement, parameters))

    async with AsyncSession(engine) as session:
        found = await subjects(session)
    missed = []
    for name, call in cases(found).items():
        print(f"\n=== {name}")
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        async with AsyncSession(engine) as session:
            await call(session)
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        for statement, parameters in sent:
            async with engine.connect() as connection:
                plan = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters)
                lines = [row[0] for row in plan]
                print(f"-- {' '.join(statement.split())[:160]}")
                print("\n".join(f"   {line}" for line in lines))
                if name.endswith(SEARCH_INDEX) and not any(SEARCH_INDEX in line for line in lines):
                    missed.append(name)
        sent.clear()
    async with engine.connect() as connection:
        size = await connection.scalar(text("SELECT count(*) FROM article"))
    print(f"\n(article rows: {size})")
    await engine.dispose()
    if missed:
        raise SystemExit(f"not served by {SEARCH_INDEX}: {'; '.join(missed)}")
    print(f"every search for a rare word is served by {SEARCH_INDEX}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="build bench_throughput again")
    url = prepare_database(THROUGHPUT_DATABASE, AUTHORS, ARTICLES, reuse=not parser.parse_args().fresh)
    asyncio.run(explain(url))


if __name__ == "__main__":
    main()
