"""The ``article`` table: a piece of writing by one author."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from advanced_alchemy.base import IdentityAuditBase
from litestar.params import KwargDefinition
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.fields import ID_BOUNDS, NO_CONTROL, NO_CONTROL_BUT_BREAKS, text

if TYPE_CHECKING:
    from blog.domain.authors.models import Author

Title = Annotated[str, text(200, NO_CONTROL, "1 to 200 characters on one line, not blank.")]
Content = Annotated[
    str, text(100_000, NO_CONTROL_BUT_BREAKS, "1 to 100,000 characters, not blank; line breaks allowed.")
]
AuthorRef = Annotated[int, KwargDefinition(**ID_BOUNDS, description="The id of an existing author.")]


class Article(IdentityAuditBase):
    """A piece of writing by one author."""

    __tablename__ = "article"
    __table_args__ = (
        Index("ix_article_created_at_id", "created_at", "id"),
        Index("ix_article_updated_at_id", "updated_at", "id"),
        Index("ix_article_title_id", "title", "id"),
        # Serves the foreign key (cascading deletes) and one author's articles, newest first.
        Index("ix_article_author_id_created_at_id", "author_id", "created_at", "id"),
    )

    title: Mapped[Title] = mapped_column(String(200))
    content: Mapped[Content] = mapped_column(Text)
    author_id: Mapped[AuthorRef] = mapped_column(
        BigInteger,
        ForeignKey("author.id", ondelete="CASCADE"),
    )

    author: Mapped[Author] = relationship(back_populates="articles", lazy="raise")
