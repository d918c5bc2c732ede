"""The articles' business rules."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.filters import ComparisonFilter
from advanced_alchemy.service import ErrorMessages, ModelDictT, is_dict

from blog.domain.articles.models import Article
from blog.domain.authors.services import AuthorService
from blog.service import BlogRepository, BlogService

ARTICLE_NOT_FOUND = "Article does not exist"


def of_author(author_id: int) -> ComparisonFilter:
    """Only this author's articles."""
    return ComparisonFilter(field_name="author_id", operator="eq", value=author_id)


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
        await AuthorService(session=self.repository.session).ensure_exists(author_id)
