"""How authors are read and written: the DTOs of ``/authors`` and ``/auth/me``.

``password`` is write-only and ``password_hash`` private (``blog.domain.authors.models``), so
no DTO ever shows either; ``email`` is shown only by ``AccountRead``, the DTO of answers to the
account's owner.
"""

from __future__ import annotations

from typing import Annotated

from advanced_alchemy.extensions.litestar import SQLAlchemyDTOConfig
from litestar.params import PathParameter

from blog.domain.authors.models import Author
from blog.dto import ModelDTO, WriteDTO, write_config
from blog.fields import ID_BOUNDS

NOT_SHOWN = {"articles", "password"}


class AuthorRead(ModelDTO[Author]):
    """An author as anyone may see them: no e-mail address."""

    __schema_name__ = "Author"
    config = SQLAlchemyDTOConfig(exclude={*NOT_SHOWN, "email"})


class AccountRead(ModelDTO[Author]):
    """An author as their owner sees themselves: with the e-mail address."""

    __schema_name__ = "Account"
    config = SQLAlchemyDTOConfig(exclude=NOT_SHOWN)


class AuthorCreate(WriteDTO[Author]):
    """The body of ``POST /authors`` (sign-up): `username`, `email` and `password` required."""

    __schema_name__ = "AuthorCreate"
    config = write_config(exclude={"articles"})
    required = frozenset({"username", "email", "password"})
    example = {
        "username": "ada",
        "email": "ada@example.com",
        "password": "correct horse battery staple",
        "first_name": "Ada",
        "last_name": "Lovelace",
    }


class AuthorUpdate(WriteDTO[Author]):
    """The body of ``PATCH /authors/{id}``: any subset of the writable fields."""

    __schema_name__ = "AuthorUpdate"
    config = write_config(exclude={"articles"})
    example = {"bio": "Mathematician; wrote the first program.", "image": "https://example.com/ada.png"}


AuthorId = Annotated[int, PathParameter(**ID_BOUNDS, description="The author's id.")]
"""An author's id in a path."""
