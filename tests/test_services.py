"""The services' business rules, below HTTP: author must exist, delete cascades."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.filters import (
    BeforeAfter,
    CollectionFilter,
    LimitOffset,
    OrderBy,
    SearchFilter,
    StatementFilter,
)
from sqlalchemy import event, inspect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from blog.database import AutocommitReadsConfig, sqlalchemy_config
from blog.listing import of_author
from blog.models import Article
from blog.services import ArticleService, AuthorService
from blog.settings import DatabaseSettings
from tests.conftest import empty_tables


@pytest.fixture
async def session(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session configured as the app configures its own (SQLite foreign keys on, ...)."""
    await empty_tables(engine)
    config = sqlalchemy_config(DatabaseSettings(url=database_url))
    async with config.get_session() as session:
        yield session
    await config.get_engine().dispose()
    await empty_tables(engine)


async def test_article_needs_an_existing_author(session: AsyncSession) -> None:
    articles = ArticleService(session=session)
    with pytest.raises(NotFoundError, match="Author does not exist"):
        await articles.create({"title": "T", "content": "C", "author_id": 999})
    assert await articles.count() == 0


async def test_moving_an_article_to_a_missing_author_fails(session: AsyncSession) -> None:
    author = await AuthorService(session=session).create({"first_name": "A", "last_name": "B"}, auto_commit=True)
    articles = ArticleService(session=session)
    article = await articles.create({"title": "T", "content": "C", "author_id": author.id}, auto_commit=True)
    with pytest.raises(NotFoundError, match="Author does not exist"):
        await articles.update({"author_id": 999}, item_id=article.id)


async def test_deleting_an_author_deletes_their_articles(session: AsyncSession) -> None:
    authors = AuthorService(session=session)
    articles = ArticleService(session=session)
    doomed = await authors.create({"first_name": "A", "last_name": "B"}, auto_commit=True)
    kept = await authors.create({"first_name": "C", "last_name": "D"}, auto_commit=True)
    for owner in (doomed, doomed, kept):
        await articles.create({"title": "T", "content": "C", "author_id": owner.id}, auto_commit=True)

    await authors.delete(doomed.id, auto_commit=True)

    remaining = await articles.get_many()
    assert [a.author_id for a in remaining] == [kept.id]


async def test_database_cascades_without_the_orm(session: AsyncSession, engine: AsyncEngine) -> None:
    # ON DELETE CASCADE lives in the schema (the migration), not only in the ORM.
    authors = AuthorService(session=session)
    author = await authors.create({"first_name": "A", "last_name": "B"}, auto_commit=True)
    await ArticleService(session=session).create(
        {"title": "T", "content": "C", "author_id": author.id}, auto_commit=True
    )
    await authors.delete_where(id=author.id, auto_commit=True)
    assert await ArticleService(session=session).count(Article.author_id == author.id) == 0


async def test_a_read_by_id_sees_committed_writes(database_url: str, engine: AsyncEngine) -> None:
    """``get_for_read`` returns what the ORM's ``get`` does, in a read's session (autocommit on
    PostgreSQL, where it runs on the driver), and sees each write as soon as it is committed.
    So does ``count_all``."""
    await empty_tables(engine)
    config = sqlalchemy_config(DatabaseSettings(url=database_url))
    reads = config.autocommit_engine if isinstance(config, AutocommitReadsConfig) else config.get_engine()
    try:
        async with config.get_session() as write_session:
            authors = AuthorService(session=write_session)
            author = await authors.create({"first_name": "Ada", "last_name": "Lovelace"}, auto_commit=True)
            article = await ArticleService(session=write_session).create(
                {"title": "Notes", "content": "On the engine.", "author_id": author.id}, auto_commit=True
            )
            async with AsyncSession(reads, expire_on_commit=False) as read_session:
                read = await ArticleService(session=read_session).get_for_read(article.id)
                columns = ("id", "title", "content", "author_id", "created_at", "updated_at")
                assert [getattr(read, c) for c in columns] == [getattr(article, c) for c in columns]
                assert read.created_at.tzinfo is not None
                assert not inspect(read).persistent  # built from the row, in no session
                if make_url(database_url).get_backend_name() == "postgresql":
                    driver = (await (await read_session.connection()).get_raw_connection()).driver_connection
                    assert not driver.is_in_transaction()  # no BEGIN, no ROLLBACK

                assert await ArticleService(session=read_session).repository.count_all() == 1

                await authors.update({"first_name": "Augusta"}, item_id=author.id, auto_commit=True)
                assert (await AuthorService(session=read_session).get_for_read(author.id)).first_name == "Augusta"

                await authors.delete(author.id, auto_commit=True)
                assert await ArticleService(session=read_session).repository.count_all() == 0
                for service, item_id in ((AuthorService, author.id), (ArticleService, article.id)):
                    with pytest.raises(NotFoundError, match="does not exist"):
                        await service(session=read_session).get_for_read(item_id)
    finally:
        await config.get_engine().dispose()
        await empty_tables(engine)


async def test_a_listing_on_the_driver_equals_sqlalchemys(database_url: str, engine: AsyncEngine) -> None:
    """``list_for_read`` runs each filter shape on the driver (PostgreSQL, outside a transaction)
    with the rows, order and values SQLAlchemy gives for the same statement in a transaction."""
    await empty_tables(engine)
    config = sqlalchemy_config(DatabaseSettings(url=database_url))
    reads = config.autocommit_engine if isinstance(config, AutocommitReadsConfig) else config.get_engine()
    columns = ("id", "title", "content", "author_id", "created_at", "updated_at")

    async def listing(session: AsyncSession, shape: list[StatementFilter]) -> list[tuple[object, ...]]:
        found = await ArticleService(session=session).repository.list_for_read(*shape)
        return [tuple(getattr(article, c) for c in columns) for article in found]

    try:
        async with config.get_session() as session:
            authors = AuthorService(session=session)
            ada, grace = [await authors.create({"first_name": n, "last_name": "L"}, auto_commit=True) for n in "AG"]
            ids = []
            for n in range(12):
                title = f"Title {n} 50%_" if n % 3 else f"title {n}"
                data = {"title": title, "content": "C", "author_id": (ada, grace)[n % 2].id}
                ids.append((await ArticleService(session=session).create(data, auto_commit=True)).id)
            shapes: list[list[StatementFilter]] = [
                [LimitOffset(20, 0), OrderBy("created_at", "desc"), OrderBy("id", "desc")],
                [LimitOffset(5, 5), OrderBy("title", "asc"), OrderBy("id", "asc")],
                [LimitOffset(3, 0), OrderBy("updated_at", "asc"), OrderBy("id", "asc"), of_author(ada.id)],
                [SearchFilter({"title"}, "50%_", escape_wildcards=True), OrderBy("id", "desc")],
                [SearchFilter({"title"}, "TITLE 1", ignore_case=True), OrderBy("id", "asc")],
                [BeforeAfter("created_at", datetime.now(UTC) + timedelta(days=1), datetime(2000, 1, 1, tzinfo=UTC))],
                [CollectionFilter("id", ids[::3]), OrderBy("id", "asc")],  # an IN list: runs through SQLAlchemy
                # Shapes met before, with other values: the compiled statement is reused with these.
                [LimitOffset(4, 2), OrderBy("title", "asc"), OrderBy("id", "asc")],
                [SearchFilter({"title"}, "title 1", ignore_case=True), OrderBy("id", "asc")],
            ]
            # In the write session's transaction: SQLAlchemy runs them.
            expected = [await listing(session, shape) for shape in shapes]
        through_sqlalchemy: list[str] = []
        event.listen(reads.sync_engine, "before_cursor_execute", lambda *args: through_sqlalchemy.append(args[2]))
        async with AsyncSession(reads) as read_session:
            for shape, rows in zip(shapes, expected, strict=True):
                assert rows, shape  # every shape selects something
                assert await listing(read_session, shape) == rows, shape
        on_postgresql = make_url(database_url).get_backend_name() == "postgresql"
        assert len(through_sqlalchemy) == (1 if on_postgresql else len(shapes))  # on PostgreSQL, the IN list only
    finally:
        await config.get_engine().dispose()
        await empty_tables(engine)
