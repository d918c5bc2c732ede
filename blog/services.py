"""Services: the business rules, on top of Advanced Alchemy's repositories.

Controllers call these and never touch the session. A service raises Advanced Alchemy's
``NotFoundError`` for a missing row; ``blog.errors`` maps it to a 404 in one place.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.extensions.litestar.providers import create_service_provider
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import ErrorMessages, ModelDictT, SQLAlchemyAsyncRepositoryService, is_dict

from blog.models import Article, Author

AUTHOR_NOT_FOUND = "Author does not exist"
ARTICLE_NOT_FOUND = "Article does not exist"


class AuthorService(SQLAlchemyAsyncRepositoryService[Author, "AuthorService.Repo"]):
    """Authors. Deleting one deletes their articles (``ON DELETE CASCADE``)."""

    class Repo(SQLAlchemyAsyncRepository[Author]):
        model_type = Author
        error_messages: ErrorMessages | None = {"not_found": AUTHOR_NOT_FOUND}

    repository_type = Repo

    async def ensure_exists(self, author_id: int) -> None:
        """Raise ``NotFoundError`` unless the author exists."""
        if not await self.exists(id=author_id):
            raise NotFoundError(AUTHOR_NOT_FOUND)


class ArticleService(SQLAlchemyAsyncRepositoryService[Article, "ArticleService.Repo"]):
    """Articles. An article's author must exist, on create and when it changes hands."""

    class Repo(SQLAlchemyAsyncRepository[Article]):
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
