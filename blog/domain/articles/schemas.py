"""How articles are read and written: the DTOs of ``/articles``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import msgspec
from advanced_alchemy.extensions.litestar import SQLAlchemyDTOConfig
from litestar.params import PathParameter

from blog.domain.articles.models import Article
from blog.dto import ModelDTO, WriteDTO, write_config
from blog.fields import ID_BOUNDS

NOT_SHOWN = {"author", "tag_links", "tag_names"}
SERVER_SET = {"slug", "favorites_count", "content_html"}
REPEATED_TAG = "Each tag may be given once"
NO_OFFSET = "must say its UTC offset, e.g. `2026-12-24T09:00:00Z` or `2026-12-24T10:00:00+01:00`"


def repeated_tags(body: Mapping[str, Any]) -> list[dict[str, str]]:
    """A tag list naming a tag twice (the type says the rest)."""
    tags = body.get("tags")
    if isinstance(tags, list) and len(tags) != len({str(tag) for tag in tags}):
        return [{"key": "tags", "message": REPEATED_TAG, "source": "body"}]
    return []


def local_time(body: Mapping[str, Any]) -> list[dict[str, str]]:
    """A ``published_at`` without a UTC offset: which moment it means would be a guess."""
    sent = body.get("published_at")
    if not isinstance(sent, str):
        return []
    try:
        moment = msgspec.convert(sent, datetime)
    except msgspec.ValidationError:
        return []  # not a date-time at all: the type check says so
    if moment.tzinfo is None:
        return [{"key": "published_at", "message": NO_OFFSET, "source": "body"}]
    return []


def article_rules(body: Mapping[str, Any]) -> list[dict[str, str]]:
    """What the fields' types cannot say about an article's body."""
    return repeated_tags(body) + local_time(body)


class ArticleRead(ModelDTO[Article]):
    """An article as the API shows it, with its tags (in order) and how many readers favourite it."""

    __schema_name__ = "Article"
    config = SQLAlchemyDTOConfig(exclude=NOT_SHOWN)


class ArticleCreate(WriteDTO[Article]):
    """The body of ``POST /articles``: `title` and `content` required; `author_id`, if sent, must be the caller."""

    __schema_name__ = "ArticleCreate"
    config = write_config(exclude={*NOT_SHOWN, *SERVER_SET})
    required = frozenset({"title", "content"})
    example = {
        "title": "Notes on the Analytical Engine",
        "description": "What it could do, and what it could not.",
        "content": "The Analytical Engine has no pretensions whatever to originate anything.",
        "tags": ["engines", "history"],
    }

    @classmethod
    def rule_errors(cls, body: Mapping[str, Any]) -> list[dict[str, str]]:
        return article_rules(body)


class ArticleUpdate(WriteDTO[Article]):
    """The body of ``PATCH /articles/{id}``: any subset of the writable fields; `tags` replaces the list."""

    __schema_name__ = "ArticleUpdate"
    config = write_config(exclude={*NOT_SHOWN, *SERVER_SET})
    example = {"title": "Notes on the Analytical Engine, revised", "tags": ["engines"]}

    @classmethod
    def rule_errors(cls, body: Mapping[str, Any]) -> list[dict[str, str]]:
        return article_rules(body)


ArticleId = Annotated[int, PathParameter(**ID_BOUNDS, description="The article's id.")]
"""An article's id in a path."""
