"""How authors are read and written: the DTOs of ``/authors``."""

from __future__ import annotations

from typing import Annotated

from advanced_alchemy.extensions.litestar import SQLAlchemyDTOConfig
from litestar.params import PathParameter

from blog.domain.authors.models import Author
from blog.dto import ModelDTO, WriteDTO, write_config
from blog.fields import ID_BOUNDS


class AuthorRead(ModelDTO[Author]):
    """An author as the API shows it."""

    config = SQLAlchemyDTOConfig(exclude={"articles"})


class AuthorCreate(WriteDTO[Author]):
    """The body of ``POST /authors``: every writable field, all required."""

    config = write_config(exclude={"articles"})


class AuthorUpdate(WriteDTO[Author]):
    """The body of ``PATCH /authors/{id}``: any subset of the writable fields."""

    config = write_config(exclude={"articles"}, partial=True)


AuthorId = Annotated[int, PathParameter(**ID_BOUNDS, description="The author's id.")]
"""An author's id in a path."""
