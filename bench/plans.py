"""PostgreSQL's plans for the statements behind the RealWorld listings, at 100,000 articles.

    python -m bench.plans            # builds bench_throughput (10k authors, 100k articles) if needed
    python -m bench.plans --fresh    # builds it again

Runs the services' own calls (the tag, author and favourites filters, the feed, a reader's
marks on a page, an article's comments, the popular tags), records every statement they send,
and prints ``EXPLAIN (ANALYZE, COSTS OFF)`` of each: which index serves it, and its time.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from advanced_alchemy.filters import LimitOffset, OrderBy
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.common import prepare_database
from bench.throughput import ARTICLES, AUTHORS
from blog.domain.articles.models import ArticleTag, Favorite
from blog.domain.articles.services import ArticleService, by_username, favorited_by, followed_by
from blog.domain.authors.models import Author
from blog.domain.comments.services import CommentService
from blog.domain.profiles.models import Follow
from blog.domain.tags.models import Tag
from blog.domain.tags.services import TagService

PAGE = [LimitOffset(limit=20, offset=0), OrderBy(field_name="created_at", sort_order="desc")]


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

    return {
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
    for name, call in cases(found).items():
        print(f"\n=== {name}")
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        async with AsyncSession(engine) as session:
            await call(session)
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        for statement, parameters in sent:
            async with engine.connect() as connection:
                plan = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters)
                print(f"-- {' '.join(statement.split())[:160]}")
                print("\n".join(f"   {row[0]}" for row in plan))
        sent.clear()
    async with engine.connect() as connection:
        size = await connection.scalar(text("SELECT count(*) FROM article"))
    print(f"\n(article rows: {size})")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="build bench_throughput again")
    url = prepare_database("bench_throughput", AUTHORS, ARTICLES, reuse=not parser.parse_args().fresh)
    asyncio.run(explain(url))


if __name__ == "__main__":
    main()
