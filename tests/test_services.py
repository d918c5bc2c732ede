"""The services' business rules, below HTTP: author must exist, delete cascades."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from advanced_alchemy.exceptions import NotFoundError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from blog.database import database
from blog.domain.articles.models import Article
from blog.domain.articles.services import ArticleService
from blog.domain.authors.services import AuthorService
from blog.settings import DatabaseSettings
from tests.conftest import empty_tables


@pytest.fixture
async def session(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session configured as the app configures its own (SQLite foreign keys on, ...)."""
    await empty_tables(engine)
    db = database(DatabaseSettings(url=database_url))
    async with db.writes.get_session() as session:
        yield session
    await db.engine.dispose()
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
