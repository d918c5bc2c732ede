"""How articles are read and written: the DTOs of ``/articles``."""

from __future__ import annotations

from typing import Annotated

from advanced_alchemy.extensions.litestar import SQLAlchemyDTOConfig
from litestar.params import PathParameter

from blog.domain.articles.models import Article
from blog.dto import ModelDTO, WriteDTO, write_config
from blog.fields import ID_BOUNDS


class ArticleRead(ModelDTO[Article]):
    """An article as the API shows it."""

    config = SQLAlchemyDTOConfig(exclude={"author"})


class ArticleCreate(WriteDTO[Article]):
    """The body of ``POST /articles``: `title` and `content` required; `author_id`, if sent, must be the caller."""

    config = write_config(exclude={"author"})
    required = frozenset({"title", "content"})


class ArticleUpdate(WriteDTO[Article]):
    """The body of ``PATCH /articles/{id}``: any subset of the writable fields."""

    config = write_config(exclude={"author"})


ArticleId = Annotated[int, PathParameter(**ID_BOUNDS, description="The article's id.")]
"""An article's id in a path."""
