"""Database models: the schema's shape in Python; ``migrations/`` is the schema's truth.

Field constraints live in the type annotations (Litestar's ``KwargDefinition``) so that the DTOs built from
these models validate request bodies with the same limits the API contract states.
"""

from __future__ import annotations

from typing import Annotated, Any

from advanced_alchemy.base import IdentityAuditBase
from litestar.params import KwargDefinition
from sqlalchemy import BigInteger, Column, ForeignKey, Index, SmallInteger, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

MAX_ID = 2**63 - 1
"""Ids are PostgreSQL ``bigint``; anything outside 1..MAX_ID cannot name a row."""


class _SchemaExtra(dict[str, Any]):
    """A ``schema_extra`` that hashes: SQLAlchemy and ``typing`` hash the annotations holding it."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


ID_SCHEMA_BOUNDS = _SchemaExtra(minimum=1, maximum=MAX_ID)
ID_BOUNDS: dict[str, Any] = {"ge": 1, "le": MAX_ID, "schema_extra": ID_SCHEMA_BOUNDS}
"""Keyword arguments bounding an id in a ``KwargDefinition`` (or a path or query parameter).

``schema_extra`` restates the bounds because Litestar writes ``ge``/``le`` into the OpenAPI
document as floats, where MAX_ID rounds up to 2**63: an id the API would refuse.
"""

_NO_CONTROL = r"[^\x00-\x1f\x7f]"
_NO_CONTROL_BUT_BREAKS = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
# The true end of the string: Python's `$` (msgspec validates with `re`) also matches before
# a final newline, which would let "Ada\n" through.
_END = r"(?![\s\S])"


def _text(max_length: int, allowed: str, description: str) -> KwargDefinition:
    """A text field: 1..max_length characters from ``allowed``, at least one not a space.

    The pattern repeats the length limit in its lookahead because a partial (PATCH) DTO
    drops ``min_length``/``max_length`` but keeps ``pattern``.
    """
    not_space = allowed.replace("[^", r"[^\s", 1)
    return KwargDefinition(
        min_length=1,
        max_length=max_length,
        pattern=rf"^(?=[\s\S]{{1,{max_length}}}{_END}){allowed}*{not_space}{allowed}*{_END}",
        description=description,
    )


Name = Annotated[str, _text(100, _NO_CONTROL, "1 to 100 characters, not blank.")]
Title = Annotated[str, _text(200, _NO_CONTROL, "1 to 200 characters on one line, not blank.")]
Content = Annotated[
    str, _text(100_000, _NO_CONTROL_BUT_BREAKS, "1 to 100,000 characters, not blank; line breaks allowed.")
]
AuthorRef = Annotated[int, KwargDefinition(**ID_BOUNDS, description="The id of an existing author.")]


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


COUNTER_SLOTS = 16
"""Rows per table in ``row_count``: concurrent writers rarely update the same one."""

row_count = Table(
    "row_count",
    Author.metadata,
    Column("table_name", String(32), primary_key=True),
    Column("slot", SmallInteger, primary_key=True),
    Column("n", BigInteger, nullable=False),
    comment=(
        "Exact row counts of author and article, kept by triggers (see the migrations): "
        "a table's count is the sum of its slots. Unfiltered listings read it instead of "
        "counting a million rows."
    ),
)
