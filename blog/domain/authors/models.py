"""The ``author`` table: the blog's accounts, and the people who write its articles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from advanced_alchemy.base import IdentityAuditBase
from litestar.dto import dto_field
from litestar.params import KwargDefinition
from sqlalchemy import Index, String, Text, func
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.fields import END, LINES, NO_CONTROL, ruled, text

if TYPE_CHECKING:
    from blog.domain.articles.models import Article

Username = Annotated[
    str,
    KwargDefinition(
        min_length=1,
        max_length=40,
        pattern=ruled(
            rf"^[A-Za-z0-9_.-]{{1,40}}{END}",
            "may contain only letters (a-z, A-Z), digits, '_', '-' and '.' (1 to 40 characters)",
        ),
        description="1 to 40 letters, digits, `_`, `.` or `-`; unique, whatever the case.",
    ),
]
Email = Annotated[
    str,
    KwargDefinition(
        max_length=254,
        # An address with one @ and a dot in its domain; whether it exists is another matter.
        pattern=ruled(
            rf"^(?=[\s\S]{{3,254}}{END})[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+{END}",
            "must be an e-mail address like name@example.com (at most 254 characters)",
        ),
        description="An e-mail address, at most 254 characters; unique, whatever the case.",
    ),
]
PASSWORD_LIMITS = KwargDefinition(min_length=8, max_length=256, description="8 to 256 characters.")
Password = Annotated[str, PASSWORD_LIMITS]
OptionalName = Annotated[str | None, text(100, NO_CONTROL, "1 to 100 characters, not blank; or null.")]
Bio = Annotated[
    str | None,
    KwargDefinition(
        max_length=2000,
        pattern=LINES,
        description='At most 2,000 characters; `""` is stored as null.',
    ),
]
Image = Annotated[
    str | None,
    KwargDefinition(
        max_length=2048,
        pattern=ruled(
            rf"^(|https?://[^\s\x00-\x1f\x7f/?#]+[^\s\x00-\x1f\x7f]*){END}",
            "must be an absolute http(s) URL without spaces, like https://example.com/me.png, or empty",
        ),
        description='An absolute http(s) URL, at most 2,048 characters; `""` is stored as null.',
    ),
]


class Author(IdentityAuditBase):
    """A person with an account, who writes articles."""

    __tablename__ = "author"
    # One index per listing order, each ending in `id`: the order is total, and a first page
    # is an index scan whatever the table's size.
    __table_args__ = (
        Index("ix_author_created_at_id", "created_at", "id"),
        Index("ix_author_updated_at_id", "updated_at", "id"),
        Index("ix_author_last_name_id", "last_name", "id"),
        # SQLite would hand a deleted author's id to the next one, and their tokens with it.
        {"sqlite_autoincrement": True},
    )

    username: Mapped[Username] = mapped_column(String(40))
    email: Mapped[Email] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None, info=dto_field("private"))
    """Argon2id, set by ``AuthorService``; null for an account that has no password yet."""
    first_name: Mapped[OptionalName] = mapped_column(String(100), default=None)
    last_name: Mapped[OptionalName] = mapped_column(String(100), default=None)
    bio: Mapped[Bio] = mapped_column(Text, default=None)
    image: Mapped[Image] = mapped_column(String(2048), default=None)

    # The database deletes the articles (ON DELETE CASCADE); passive_deletes keeps the ORM
    # from loading them all just to delete them one by one. lazy="raise" on both sides: async
    # code cannot lazy-load, and a listing must never become one query per row.
    articles: Mapped[list[Article]] = relationship(
        back_populates="author",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )

    @hybrid_property
    def password(self) -> str:
        """Write-only, and never stored: the DTOs take it, ``AuthorService`` hashes it into
        ``password_hash``. Declared here so that the write DTOs carry it and read DTOs never do."""
        msg = "a password is write-only: only its hash is kept"
        raise AttributeError(msg)

    @password.inplace.setter
    def _password_setter(self, value: Password) -> None:
        msg = "a password is hashed by AuthorService, never set on the model"
        raise AttributeError(msg)


# Usernames and e-mail addresses are unique whatever their case, as people type them.
Index("uq_author_username", func.lower(Author.username), unique=True)
Index("uq_author_email", func.lower(Author.email), unique=True)
