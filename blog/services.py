"""Services: the business rules, on top of the repositories (``blog.repositories``).

Controllers call these and never touch the session. A service raises Advanced Alchemy's
``NotFoundError`` for a missing row; ``blog.errors`` maps it to a 404 in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from advanced_alchemy.exceptions import NotFoundError, RepositoryError
from advanced_alchemy.extensions.litestar.providers import create_service_provider
from advanced_alchemy.filters import LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.service import (
    ErrorMessages,
    ModelDictT,
    ModelT,
    SQLAlchemyAsyncRepositoryService,
    find_filter,
    is_dict,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_scoped_session
from sqlalchemy.orm.exc import StaleDataError

from blog.models import Article, Author
from blog.repositories import BlogRepository

AUTHOR_NOT_FOUND = "Author does not exist"
ARTICLE_NOT_FOUND = "Article does not exist"


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
        items = await self.repository.list_for_read(*filters)
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
