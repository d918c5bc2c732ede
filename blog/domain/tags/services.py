"""Tags: the names in use."""

from __future__ import annotations

from collections.abc import Sequence

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select

from blog.domain.articles.models import ArticleTag
from blog.domain.articles.publishing import ARTICLE, now, public
from blog.domain.tags.models import Tag

POPULAR = 100
"""How many tags ``popular`` gives at most."""


class TagService(SQLAlchemyAsyncRepositoryService[Tag, "TagService.Repo"]):
    """Tags, each stored once; an article's are set by ``ArticleService``."""

    class Repo(SQLAlchemyAsyncRepository[Tag]):
        model_type = Tag

        async def popular(self, limit: int) -> Sequence[str]:
            """The names of the tags public articles use most (ties by name); a tag no public article
            uses is left out: a draft's tags are not told."""
            uses = func.count(ArticleTag.article_id)
            statement = (
                select(Tag.name)
                .join(ArticleTag)
                .join(ARTICLE, ARTICLE.c.id == ArticleTag.article_id)
                .where(public(now()))
                .group_by(Tag.id, Tag.name)
                .order_by(uses.desc(), Tag.name)
            )
            return list(await self.session.scalars(statement.limit(limit)))

    repository_type = Repo

    async def popular(self, limit: int = POPULAR) -> Sequence[str]:
        return await self.repository.popular(limit)
