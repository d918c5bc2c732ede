"""The ``author`` table: the people who write the blog's articles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advanced_alchemy.base import IdentityAuditBase
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.fields import Name

if TYPE_CHECKING:
    from blog.domain.articles.models import Article


class Author(IdentityAuditBase):
    """A person who writes articles."""

    __tablename__ = "author"
    # One index per listing order, each ending in `id`: the order is total, and a first page
    # is an index scan whatever the table's size.
    __table_args__ = (
        Index("ix_author_created_at_id", "created_at", "id"),
        Index("ix_author_updated_at_id", "updated_at", "id"),
        Index("ix_author_last_name_id", "last_name", "id"),
    )

    first_name: Mapped[Name] = mapped_column(String(100))
    last_name: Mapped[Name] = mapped_column(String(100))

    # The database deletes the articles (ON DELETE CASCADE); passive_deletes keeps the ORM
    # from loading them all just to delete them one by one. lazy="raise" on both sides: async
    # code cannot lazy-load, and a listing must never become one query per row.
    articles: Mapped[list[Article]] = relationship(
        back_populates="author",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )
