"""publishing: drafts, scheduled articles, content rendered from Markdown

Articles gain `status` (`draft` or `published`), `published_at` (when the article is or
becomes public; null for a draft) and `content_html` (`content` rendered from CommonMark and
sanitised). Existing articles stay public: published, with `published_at` = `created_at`,
and their content rendered here, in batches. Partial indexes serve what the public listings
now filter and sort by (published articles by `published_at`, overall and per author) and an
author's drafts.

Revision ID: e42bb89bb4a4
Revises: ce27645400c3
Create Date: 2026-12-05 11:56:22.967970
"""

from collections.abc import Sequence

import advanced_alchemy.types
import nh3
import sqlalchemy as sa
from alembic import op
from markdown_it import MarkdownIt

revision: str = "e42bb89bb4a4"
down_revision: str | None = "ce27645400c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000
article = sa.table(
    "article",
    sa.column("id", sa.BigInteger),
    sa.column("content", sa.Text),
    sa.column("content_html", sa.Text),
    sa.column("created_at"),
    sa.column("published_at"),
)
PUBLISHED = sa.text("status = 'published'")

# As blog.domain.articles.markdown renders content today, restated here so that this
# revision does the same whatever the app's code becomes.
_markdown = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_TAGS = {
    *("p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s", "a", "img"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td"),
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}


def _render(content: str) -> str:
    return nh3.clean(
        _markdown.render(content),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _render_existing_content() -> None:
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(article.c.id, article.c.content).where(article.c.id > last).order_by(article.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            article.update().where(article.c.id == sa.bindparam("row_id")).values(content_html=sa.bindparam("html")),
            [{"row_id": row.id, "html": _render(row.content)} for row in rows],
        )
        last = rows[-1].id


STATUS_CHECK = "status IN ('draft', 'published') AND (status = 'draft') = (published_at IS NULL)"
"""A status, and a publication date exactly when published (blog.domain.articles.models)."""


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("content_html", sa.Text(), server_default="", nullable=False))
    op.execute(article.update().values(published_at=article.c.created_at))
    if op.get_bind().dialect.name == "sqlite":
        # A table constraint would make SQLite rebuild the table, which the triggers of other
        # tables that name it forbid; a column may bring its own CHECK in ADD COLUMN.
        op.execute(
            "ALTER TABLE article ADD COLUMN status VARCHAR(9) DEFAULT 'published' NOT NULL "
            f"CONSTRAINT ck_article_status CHECK ({STATUS_CHECK})"
        )
    else:
        op.add_column("article", sa.Column("status", sa.String(length=9), server_default="published", nullable=False))
        op.create_check_constraint("status", "article", STATUS_CHECK)  # ck_article_status, by the naming convention
    _render_existing_content()
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_published_at_id", ["published_at", "id"], postgresql_where=PUBLISHED, sqlite_where=PUBLISHED
        )
        batch_op.create_index(
            "ix_article_author_id_published_at_id",
            ["author_id", "published_at", "id"],
            postgresql_where=PUBLISHED,
            sqlite_where=PUBLISHED,
        )
        drafts = sa.text("status = 'draft'")
        batch_op.create_index(
            "ix_article_drafts_author_id_id", ["author_id", "id"], postgresql_where=drafts, sqlite_where=drafts
        )


def downgrade() -> None:
    op.drop_index("ix_article_drafts_author_id_id", table_name="article")
    op.drop_index("ix_article_author_id_published_at_id", table_name="article")
    op.drop_index("ix_article_published_at_id", table_name="article")
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch (a rebuild of the table, which the triggers naming it forbid): SQLite
        # drops a column in place, its own CHECK with it.
        for column in ("status", "content_html", "published_at"):  # status's CHECK names published_at
            op.execute(f"ALTER TABLE article DROP COLUMN {column}")
        return
    op.drop_constraint("status", "article", type_="check")
    for column in ("content_html", "published_at", "status"):
        op.drop_column("article", column)
