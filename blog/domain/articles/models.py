"""The ``article`` table, its tags (``article_tag``) and the readers who favourite it (``favorite``)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal

from advanced_alchemy.base import DefaultBase, IdentityAuditBase
from advanced_alchemy.mixins import SlugKey
from advanced_alchemy.types import DateTimeUTC
from litestar.dto import dto_field
from litestar.params import KwargDefinition
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from blog.domain.tags.models import MAX_TAGS, TAG_NAME_SCHEMA, Tag, TagName
from blog.fields import ID_BOUNDS, LINES, NO_CONTROL, NO_CONTROL_BUT_BREAKS, SchemaExtra, text

if TYPE_CHECKING:
    from blog.domain.authors.models import Author

Title = Annotated[str, text(200, NO_CONTROL, "1 to 200 characters on one line, not blank.")]
Content = Annotated[
    str, text(100_000, NO_CONTROL_BUT_BREAKS, "1 to 100,000 characters, not blank; line breaks allowed.")
]
Description = Annotated[
    str,
    KwargDefinition(
        max_length=1000,
        pattern=LINES,
        description='At most 1,000 characters; `""` when there is none.',
    ),
]
AuthorRef = Annotated[int, KwargDefinition(**ID_BOUNDS, description="The id of an existing author.")]
TagList = Annotated[
    list[TagName],
    KwargDefinition(
        max_items=MAX_TAGS,
        description="At most 20 tags, each 1 to 40 characters, no duplicates.",
        schema_extra=SchemaExtra(uniqueItems=True, items=TAG_NAME_SCHEMA),
    ),
]


DRAFT = "draft"
PUBLISHED = "published"
Status = Annotated[
    Literal["draft", "published"],
    KwargDefinition(description='`"draft"` (only its author sees it) or `"published"` (the default).'),
]
PublishedAt = Annotated[
    datetime | None,
    KwargDefinition(
        description=(
            "When the article is, or becomes, public: a date-time with a UTC offset. A future one schedules "
            'a `"published"` article; a draft has none (null). Defaults to the moment of publishing.'
        )
    ),
]


class ArticleTag(DefaultBase):
    """One of an article's tags, at its place in the article's list."""

    __tablename__ = "article_tag"
    # The primary key serves an article's tags; the index the articles of a tag (`?tag=`).
    __table_args__ = (Index("ix_article_tag_tag_id_article_id", "tag_id", "article_id"),)

    article_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    tag: Mapped[Tag] = relationship(lazy="joined", innerjoin=True)
    name: AssociationProxy[str] = association_proxy("tag", "name")


class Favorite(DefaultBase):
    """``author_id`` favourites ``article_id``; triggers keep ``article.favorites_count`` (the migrations)."""

    __tablename__ = "favorite"
    # The primary key serves "what did X favourite" (`?favorited=`); the index the article's side.
    __table_args__ = (Index("ix_favorite_article_id", "article_id"),)

    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("author.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=partial(datetime.now, UTC))


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both databases."""
    return {"postgresql_where": sql_text(condition), "sqlite_where": sql_text(condition)}


PUBLISHED_ONLY = _where("status = 'published'")


class Article(IdentityAuditBase, SlugKey):
    """A piece of writing by one author; public once published, at the time it was published for."""

    __tablename__ = "article"
    __table_args__ = (
        # Advanced Alchemy's SlugKey declares the same constraint; these table arguments replace its own.
        UniqueConstraint("slug", name="uq_article_slug"),
        # A status, and a publication date exactly when published.
        CheckConstraint(
            "status IN ('draft', 'published') AND (status = 'draft') = (published_at IS NULL)", name="status"
        ),
        Index("ix_article_created_at_id", "created_at", "id"),
        Index("ix_article_updated_at_id", "updated_at", "id"),
        Index("ix_article_title_id", "title", "id"),
        # Serves the foreign key (cascading deletes) and an author's articles by creation.
        Index("ix_article_author_id_created_at_id", "author_id", "created_at", "id"),
        # The public listings, newest published first (and the count of scheduled articles);
        # one author's, and the feed (a walk of it per followed author); the drafts of one author
        # (and their count). Partial: each holds only the rows its listings can return.
        Index("ix_article_published_at_id", "published_at", "id", **PUBLISHED_ONLY),
        Index("ix_article_author_id_published_at_id", "author_id", "published_at", "id", **PUBLISHED_ONLY),
        Index("ix_article_drafts_author_id_id", "author_id", "id", **_where("status = 'draft'")),
        # Full-text search (blog.domain.articles.search). On SQLite the column stays null and
        # the index empty: search there matches the text itself.
        Index(
            "ix_article_search_vector",
            "search_vector",
            postgresql_using="gin",
            sqlite_where=sql_text("search_vector IS NOT NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    title: Mapped[Title] = mapped_column(String(200))
    description: Mapped[Description] = mapped_column(String(1000), default="", server_default="")
    content: Mapped[Content] = mapped_column(Text)
    author_id: Mapped[AuthorRef] = mapped_column(
        BigInteger,
        ForeignKey("author.id", ondelete="CASCADE"),
    )
    status: Mapped[Status] = mapped_column(String(9), default=PUBLISHED, server_default=PUBLISHED)
    published_at: Mapped[PublishedAt] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When the article is (or becomes) public; null for a draft."""
    content_html: Mapped[str] = mapped_column(Text, default="", server_default="", info=dto_field("read-only"))
    """``content`` rendered from Markdown and sanitised (``blog.domain.articles.markdown``), when it is written."""
    favorites_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", info=dto_field("read-only"))
    """How many readers favourite it, kept by triggers on ``favorite`` (so even a cascade counts)."""
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR().with_variant(Text(), "sqlite"), nullable=True, deferred=True, info=dto_field("private")
    )
    """PostgreSQL: the words of the title, tags, description and content, weighted in that order,
    kept by triggers (the search migration) whoever writes them; what ``?q=`` searches, through a
    GIN index. Never read by the app (deferred, and left out of the reads' columns). SQLite: null."""

    author: Mapped[Author] = relationship(back_populates="articles", lazy="raise")
    tag_links: Mapped[list[ArticleTag]] = relationship(
        order_by=ArticleTag.position,
        cascade="all, delete-orphan",
        passive_deletes=True,
        # Read only to change them (ArticleService); a read takes the names from `tag_names`.
        lazy="raise",
    )

    if TYPE_CHECKING:
        tag_names: Mapped[list[str]]
        """The tag names, in order: a column of the article's own statement (mapped below)."""

    @hybrid_property
    def tags(self) -> list[str]:
        """The tags' names, in the article's order. ``ArticleService`` sets them (a tag is a row
        of its own, found or made in the database); declared here so that the DTOs carry them."""
        return self.tag_names

    @tags.inplace.setter
    def _tags_setter(self, value: TagList) -> None:
        msg = "an article's tags are set by ArticleService"
        raise AttributeError(msg)


class NameList(TypeDecorator[list[str]]):
    """A list of names as a statement aggregates them: a text array on PostgreSQL, JSON on SQLite."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String()))
        return dialect.type_descriptor(JSON())


class tag_names(FunctionElement[list[str]]):  # noqa: N801 - a SQL function, named as SQLAlchemy's are
    """``tag_names(article.id)``: the article's tag names, in the article's order, as one value.

    Compiled per database into a correlated subquery, so that an article and its tags come
    back in one row of one statement (as rows of ``article_tag``, they would take a second
    statement and a second object graph per read).
    """

    type = NameList()
    inherit_cache = True
    name = "tag_names"


def _names_of(element: tag_names) -> Select[str]:
    (article_id,) = element.clauses
    return (
        select(Tag.name)
        .join_from(ArticleTag, Tag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == article_id)
        .order_by(ArticleTag.position)
    )


@compiles(tag_names, "postgresql")
def _tag_names_postgresql(element: tag_names, compiler: SQLCompiler, **kw: Any) -> str:
    # ARRAY(SELECT ...) keeps the subquery's order, and is '{}' when there is no row.
    return f"ARRAY{compiler.process(_names_of(element).scalar_subquery(), **kw)}"


@compiles(tag_names)
def _tag_names_sqlite(element: tag_names, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's aggregates take no ORDER BY before 3.44: the rows come ordered from a subquery.
    ordered = _names_of(element).correlate(Article).subquery()
    return compiler.process(select(func.json_group_array(ordered.c.name)).scalar_subquery(), **kw)


Article.tag_names = column_property(tag_names(Article.id))
