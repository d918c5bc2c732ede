"""The ``tag`` table: the words articles are filed under, each stored once."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any

from advanced_alchemy.base import IdentityBase
from advanced_alchemy.mixins import UniqueMixin
from litestar.openapi.spec import OpenAPIType, Schema
from sqlalchemy import ColumnElement, String
from sqlalchemy.orm import Mapped, mapped_column

from blog.fields import NO_CONTROL, text

MAX_TAGS = 20
TAG_NAME = text(40, NO_CONTROL, "1 to 40 characters, not blank.")
TagName = Annotated[str, TAG_NAME]
TAG_NAME_SCHEMA = Schema(
    type=OpenAPIType.STRING,
    min_length=TAG_NAME.min_length,
    max_length=TAG_NAME.max_length,
    pattern=TAG_NAME.pattern,
    description=TAG_NAME.description,
)
"""A tag name in the OpenAPI document, where Litestar leaves a DTO's list items undescribed."""


class Tag(IdentityBase, UniqueMixin):
    """A tag, by its name (case kept, and compared as is)."""

    __tablename__ = "tag"

    name: Mapped[TagName] = mapped_column(String(40), unique=True)

    @classmethod
    def unique_hash(cls, *args: Any, **kwargs: Any) -> Hashable:
        return str(kwargs["name"])

    @classmethod
    def unique_filter(cls, *args: Any, **kwargs: Any) -> ColumnElement[bool]:
        return cls.name == str(kwargs["name"])
