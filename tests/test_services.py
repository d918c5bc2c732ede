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
from blog.service import AlreadyTakenError, NotOwnerError
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


async def test_an_article_is_its_callers_and_no_one_elses(session: AsyncSession) -> None:
    authors = AuthorService(session=session)
    ada = await authors.create({"username": "ada", "email": "ada@example.com"}, auto_commit=True)
    grace = await authors.create({"username": "grace", "email": "grace@example.com"}, auto_commit=True)
    articles = ArticleService(session=session)
    article = await articles.create_by(ada.id, {"title": "T", "content": "C"})
    assert article.author_id == ada.id
    with pytest.raises(NotOwnerError):
        await articles.create_by(ada.id, {"title": "T", "content": "C", "author_id": grace.id})
    with pytest.raises(NotFoundError, match="Author does not exist"):
        await articles.create_by(ada.id, {"title": "T", "content": "C", "author_id": 999})
    with pytest.raises(NotOwnerError):
        await articles.update_owned({"title": "Mine"}, item_id=article.id, owner_id=grace.id)
    with pytest.raises(NotOwnerError):
        await articles.delete_owned(article.id, owner_id=grace.id)
    with pytest.raises(NotFoundError, match="Article does not exist"):
        await articles.delete_owned(article.id + 1, owner_id=ada.id)
    assert await articles.count() == 1


async def test_passwords_are_stored_hashed_and_checked(session: AsyncSession) -> None:
    authors = AuthorService(session=session)
    ada = await authors.sign_up({"username": "Ada", "email": "ada@example.com", "password": "correct horse"})
    assert ada.password_hash is not None
    assert ada.password_hash.startswith("$argon2id$")
    assert "correct horse" not in ada.password_hash
    assert (await authors.authenticate("ada", "correct horse")) == ada
    assert (await authors.authenticate("ADA@example.com", "correct horse")) == ada
    assert await authors.authenticate("ada", "wrong horse") is None
    assert await authors.authenticate("nobody", "correct horse") is None
    with pytest.raises(AlreadyTakenError) as taken:
        await authors.sign_up({"username": "ADA", "email": "other@example.com", "password": "x" * 8})
    assert taken.value.fields == ["username"]


async def test_deleting_an_author_deletes_their_articles(session: AsyncSession) -> None:
    authors = AuthorService(session=session)
    articles = ArticleService(session=session)
    doomed = await authors.create({"username": "doomed", "email": "d@example.com"}, auto_commit=True)
    kept = await authors.create({"username": "kept", "email": "k@example.com"}, auto_commit=True)
    for owner in (doomed, doomed, kept):
        await articles.create({"title": "T", "content": "C", "author_id": owner.id}, auto_commit=True)

    await authors.delete(doomed.id, auto_commit=True)

    remaining = await articles.get_many()
    assert [a.author_id for a in remaining] == [kept.id]


async def test_database_cascades_without_the_orm(session: AsyncSession, engine: AsyncEngine) -> None:
    # ON DELETE CASCADE lives in the schema (the migration), not only in the ORM.
    authors = AuthorService(session=session)
    author = await authors.create({"username": "ab", "email": "ab@example.com"}, auto_commit=True)
    await ArticleService(session=session).create(
        {"title": "T", "content": "C", "author_id": author.id}, auto_commit=True
    )
    await authors.delete_where(id=author.id, auto_commit=True)
    assert await ArticleService(session=session).count(Article.author_id == author.id) == 0
