"""How articles are read and written: the DTOs of ``/articles``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from advanced_alchemy.extensions.litestar import SQLAlchemyDTOConfig
from litestar.params import PathParameter

from blog.domain.articles.models import Article
from blog.dto import ModelDTO, WriteDTO, write_config
from blog.fields import ID_BOUNDS

NOT_SHOWN = {"author", "tag_links", "tag_names"}
SERVER_SET = {"slug", "favorites_count"}
REPEATED_TAG = "Each tag may be given once"


def repeated_tags(body: Mapping[str, Any]) -> list[dict[str, str]]:
    """A tag list naming a tag twice (the type says the rest)."""
    tags = body.get("tags")
    if isinstance(tags, list) and len(tags) != len({str(tag) for tag in tags}):
        return [{"key": "tags", "message": REPEATED_TAG, "source": "body"}]
    return []


class ArticleRead(ModelDTO[Article]):
    """An article as the API shows it, with its tags (in order) and how many readers favourite it."""

    config = SQLAlchemyDTOConfig(exclude=NOT_SHOWN)


class ArticleCreate(WriteDTO[Article]):
    """The body of ``POST /articles``: `title` and `content` required; `author_id`, if sent, must be the caller."""

    config = write_config(exclude={*NOT_SHOWN, *SERVER_SET})
    required = frozenset({"title", "content"})

    @classmethod
    def rule_errors(cls, body: Mapping[str, Any]) -> list[dict[str, str]]:
        return repeated_tags(body)


class ArticleUpdate(WriteDTO[Article]):
    """The body of ``PATCH /articles/{id}``: any subset of the writable fields; `tags` replaces the list."""

    config = write_config(exclude={*NOT_SHOWN, *SERVER_SET})

    @classmethod
    def rule_errors(cls, body: Mapping[str, Any]) -> list[dict[str, str]]:
        return repeated_tags(body)


ArticleId = Annotated[int, PathParameter(**ID_BOUNDS, description="The article's id.")]
"""An article's id in a path."""
