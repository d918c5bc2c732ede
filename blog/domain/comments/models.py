"""The ``comment`` table: what readers say under an article."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from advanced_alchemy.base import IdentityAuditBase
from sqlalchemy import BigInteger, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.fields import NO_CONTROL_BUT_BREAKS, text

if TYPE_CHECKING:
    from blog.domain.authors.models import Author

CommentBody = Annotated[str, text(10_000, NO_CONTROL_BUT_BREAKS, "1 to 10,000 characters, not blank.")]


class Comment(IdentityAuditBase):
    """A comment on an article, by an author; deleted with either."""

    __tablename__ = "comment"
    # An article's comments, in the order they were written.
    __table_args__ = (
        Index("ix_comment_article_id_created_at_id", "article_id", "created_at", "id"),
        Index("ix_comment_author_id", "author_id"),
        {"sqlite_autoincrement": True},
    )

    body: Mapped[CommentBody] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("article.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("author.id", ondelete="CASCADE"))

    author: Mapped[Author] = relationship(lazy="joined", innerjoin=True)
