"""The articles' business rules: an article is written, changed and deleted by its author only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from advanced_alchemy.filters import ComparisonFilter
from advanced_alchemy.service import ErrorMessages, ModelDictT

from blog.domain.articles.models import Article
from blog.domain.authors.services import AuthorService
from blog.service import BlogRepository, BlogService, NotOwnerError

ARTICLE_NOT_FOUND = "Article does not exist"
NOT_YOURS = "An article's author_id can only be its author's own id."


def of_author(author_id: int) -> ComparisonFilter:
    """Only this author's articles."""
    return ComparisonFilter(field_name="author_id", operator="eq", value=author_id)


class ArticleService(BlogService[Article, "ArticleService.Repo"]):
    """Articles. The caller is the author of what they write; only they may change or delete it."""

    class Repo(BlogRepository[Article]):
        model_type = Article
        error_messages: ErrorMessages | None = {"not_found": ARTICLE_NOT_FOUND}

    repository_type = Repo
    not_owner = "Only the article's author may change or delete it."

    async def create_by(self, author_id: int, data: dict[str, Any]) -> Article:
        """A new article by ``author_id`` (committed); ``data`` may restate its ``author_id``, no other."""
        await self._refuse_other_author(data, author_id)
        return await self.create({**data, "author_id": author_id}, auto_commit=True)

    async def update_owned(self, data: ModelDictT[Article], item_id: int, owner_id: int) -> Article:
        await self.get_owned(item_id, owner_id)
        await self._refuse_other_author(cast("Mapping[str, Any]", data), owner_id)
        return await self.update(data, item_id=item_id, auto_commit=True)

    async def _refuse_other_author(self, data: Mapping[str, Any], author_id: int) -> None:
        """An ``author_id`` other than the caller's is a 404 if nobody has it, a 403 otherwise."""
        claimed = data.get("author_id")
        if claimed is None or claimed == author_id:
            return
        await AuthorService(session=self.repository.session).ensure_exists(claimed)
        raise NotOwnerError(NOT_YOURS)
