"""Services: the business rules, on top of Advanced Alchemy's repositories.

Controllers call these and never touch the session. A service raises Advanced Alchemy's
``NotFoundError`` for a missing row; ``blog.errors`` maps it to a 404 in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar, cast

import asyncpg
from advanced_alchemy.exceptions import NotFoundError, RepositoryError
from advanced_alchemy.extensions.litestar.providers import create_service_provider
from advanced_alchemy.filters import LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import (
    ErrorMessages,
    ModelDictT,
    ModelT,
    SQLAlchemyAsyncRepositoryService,
    find_filter,
    is_dict,
)
from sqlalchemy import Dialect, Table, bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_scoped_session
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from blog.models import Article, Author, row_count

AUTHOR_NOT_FOUND = "Author does not exist"
ARTICLE_NOT_FOUND = "Article does not exist"


class BlogRepository(SQLAlchemyAsyncRepository[ModelT]):
    """Advanced Alchemy's repository, plus a fast read by id and a constant-time row count."""

    async def get_for_read(self, item_id: int) -> ModelT:
        """The row with this id, for answering a read; ``NotFoundError`` if there is none.

        On PostgreSQL outside a transaction (a GET's session, see ``blog.database``), the
        SELECT runs as a prepared statement on the session's own asyncpg connection, and the
        instance is built straight from the row. The ORM's way (compile-cache lookup,
        execution context, result and identity-map machinery, each behind a greenlet switch)
        costs as much again as the rest of the request (README, "Performance"). Elsewhere,
        and for writes, it is Advanced Alchemy's ``get``.
        """
        connection = await self.session.connection()
        driver = _asyncpg_in_autocommit(connection)
        if driver is None:
            return await self.get(item_id)
        try:
            row = await driver.fetchrow(_select_by_id(self.model_type, connection.dialect), item_id)
        except BaseException as exc:
            # SQLAlchemy did not see this statement fail, so it would pool the connection
            # again; the id is valid, so the connection is to blame (a timeout leaves it closing).
            await connection.invalidate(exc)
            raise
        if row is None:
            messages = cast("dict[str, str]", self.error_messages or {})
            raise NotFoundError(messages.get("not_found", "No such row"))
        return detached(self.model_type, row)

    async def count_all(self) -> int:
        """All rows of the table, in constant time (``count(*)`` reads every row)."""
        statement = select(func.coalesce(func.sum(row_count.c.n), 0)).where(
            row_count.c.table_name == cast("Table", self.model_type.__table__).name
        )
        return int((await self.session.execute(statement)).scalar_one())


def _asyncpg_in_autocommit(connection: AsyncConnection) -> asyncpg.Connection | None:
    """The asyncpg connection under ``connection``, if that is one and it is outside any transaction."""
    if connection.dialect.driver != "asyncpg" or connection.sync_connection is None:
        return None
    pooled = connection.sync_connection.connection
    if not getattr(pooled.dbapi_connection, "autocommit", False):
        return None
    return cast("asyncpg.Connection", pooled.driver_connection)


@cache
def _select_by_id(model_type: type[Any], dialect: Dialect) -> str:
    """``SELECT`` of every column by id, compiled once; columns named as the model's attributes."""
    mapper = inspect(model_type)
    columns = [attribute.columns[0].label(attribute.key) for attribute in mapper.column_attrs]
    (key,) = mapper.primary_key
    statement = select(*columns).where(key == bindparam("id", type_=key.type))
    return str(statement.compile(dialect=dialect))


def detached(model_type: type[ModelT], row: Mapping[str, Any]) -> ModelT:
    """An instance holding ``row``'s values, as if loaded by a session since closed.

    Set straight into the instance, as the ORM's loader does: the constructor would fire an
    attribute event per column, ten times the cost.
    """
    instance = cast("ModelT", inspect(model_type).class_manager.new_instance())
    instance.__dict__.update(row)
    make_transient_to_detached(instance)
    return instance


RepoT = TypeVar("RepoT", bound=BlogRepository[Any])


class BlogService(SQLAlchemyAsyncRepositoryService[ModelT, RepoT]):
    """Adds what the API's reads need: ``get_for_read``, and ``list_page`` (one page of a
    filtered listing, and the total over all pages).

    Written rows are not re-read after their commit (``auto_refresh=False``): every value
    is known once the row is flushed (the id comes back from the INSERT, the timestamps are
    set in Python), and a re-read in a new transaction would fail if a concurrent request
    deleted the row in between, turning a committed write into a 500.
    """

    def __init__(self, session: AsyncSession | async_scoped_session[AsyncSession], **repo_kwargs: Any) -> None:
        super().__init__(session, **{"auto_refresh": False, **repo_kwargs})

    async def update(self, *args: Any, **kwargs: Any) -> ModelT:
        """Advanced Alchemy's ``update``; a row deleted under it is a ``NotFoundError``.

        The row is read, then updated: a concurrent delete in between leaves the UPDATE
        matching nothing, which SQLAlchemy reports as stale data. For the client the row
        simply does not exist (404), as if the delete had come first.
        """
        try:
            return await super().update(*args, **kwargs)
        except RepositoryError as exc:
            if isinstance(exc.__cause__, StaleDataError):
                messages = cast("dict[str, str]", self.repository.error_messages or {})
                raise NotFoundError(messages.get("not_found", "No such row")) from exc
            raise

    async def get_for_read(self, item_id: int) -> ModelT:
        """The row with this id, to be shown as it is (``BlogRepository.get_for_read``).

        The instance belongs to no session: changing it changes nothing. Writes use ``get``.
        """
        return cast("ModelT", await self.repository.get_for_read(item_id))

    async def list_page(self, filters: Sequence[StatementFilter]) -> tuple[Sequence[ModelT], int]:
        """The rows of one page, in a total order, and how many rows match in all.

        ``id`` breaks ties in any ordering, so walking the pages returns every row exactly
        once even when timestamps tie. At most two statements run, whatever the page size.
        """
        order = find_filter(OrderBy, filters)
        if order is not None and order.field_name != "id":
            filters = [*filters, OrderBy(field_name="id", sort_order=order.sort_order)]
        items = await self.get_many(*filters)
        return items, await self._total(filters, len(items))

    async def _total(self, filters: Sequence[StatementFilter], found: int) -> int:
        page = find_filter(LimitOffset, filters)
        if page is None:
            return found
        if found < page.limit and (found or page.offset == 0):
            return page.offset + found  # the last page: nothing follows it
        conditions = [f for f in filters if not isinstance(f, (LimitOffset, OrderBy))]
        if not conditions:
            return await self.repository.count_all()
        return await self.count(*conditions)


class AuthorService(BlogService[Author, "AuthorService.Repo"]):
    """Authors. Deleting one deletes their articles (``ON DELETE CASCADE``)."""

    class Repo(BlogRepository[Author]):
        model_type = Author
        error_messages: ErrorMessages | None = {"not_found": AUTHOR_NOT_FOUND}

    repository_type = Repo

    async def ensure_exists(self, author_id: int) -> None:
        """Raise ``NotFoundError`` unless the author exists."""
        if not await self.exists(id=author_id):
            raise NotFoundError(AUTHOR_NOT_FOUND)


class ArticleService(BlogService[Article, "ArticleService.Repo"]):
    """Articles. An article's author must exist, on create and when it changes hands."""

    class Repo(BlogRepository[Article]):
        model_type = Article
        error_messages: ErrorMessages | None = {"not_found": ARTICLE_NOT_FOUND}

    repository_type = Repo

    async def to_model_on_create(self, data: ModelDictT[Article]) -> ModelDictT[Article]:
        await self._ensure_author_exists(data)
        return data

    async def to_model_on_update(self, data: ModelDictT[Article]) -> ModelDictT[Article]:
        await self._ensure_author_exists(data)
        return data

    async def _ensure_author_exists(self, data: ModelDictT[Article]) -> None:
        author_id: Any = data.get("author_id") if is_dict(data) else getattr(data, "author_id", None)
        if author_id is None:  # a PATCH that leaves the author alone
            return
        # Same session and transaction; a concurrent delete after this check is caught by the
        # foreign key, which Advanced Alchemy raises as IntegrityError (409).
        author_service = AuthorService(session=self.repository.session)
        await author_service.ensure_exists(author_id)


# Litestar dependency providers: one service per request, on the plugin's request session.
provide_author_service = create_service_provider(AuthorService)
provide_article_service = create_service_provider(ArticleService)
