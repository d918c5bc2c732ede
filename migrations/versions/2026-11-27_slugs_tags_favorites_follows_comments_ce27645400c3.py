"""slugs tags favorites follows comments

Articles gain a slug (unique, from the title), a description (`""` when there is none) and a
favourites count, kept by triggers on the new `favorite` table so that every way a favourite
goes (a cascade from a deleted author included) is counted. New tables: `tag` and
`article_tag` (an article's tags, in order), `favorite`, `follow` (author -> author) and
`comment`. Existing articles keep everything and get a slug from their title (`notes`,
`notes-2`, ...) and no tags.

Revision ID: ce27645400c3
Revises: e4879887911c
Create Date: 2026-11-27 06:10:13.579664
"""

import re
import unicodedata
from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "ce27645400c3"
down_revision: str | None = "e4879887911c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


article = sa.table(
    "article", sa.column("id", sa.BigInteger), sa.column("title", sa.String), sa.column("slug", sa.String)
)
BATCH = 1_000
SLUG_LENGTH = 80  # blog.domain.articles.services.SLUG_LENGTH

# The favourites count, kept by a trigger per favourite added or removed.
POSTGRES_FAVORITES = (
    """CREATE FUNCTION favorites_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        UPDATE article SET favorites_count = favorites_count + 1 WHERE id = NEW.article_id;
      ELSE
        UPDATE article SET favorites_count = favorites_count - 1 WHERE id = OLD.article_id;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER favorite_counted AFTER INSERT OR DELETE ON favorite
      FOR EACH ROW EXECUTE FUNCTION favorites_changed()""",
)
SQLITE_FAVORITES = (
    """CREATE TRIGGER favorite_counted_insert AFTER INSERT ON favorite BEGIN
      UPDATE article SET favorites_count = favorites_count + 1 WHERE id = NEW.article_id;
    END""",
    """CREATE TRIGGER favorite_counted_delete AFTER DELETE ON favorite BEGIN
      UPDATE article SET favorites_count = favorites_count - 1 WHERE id = OLD.article_id;
    END""",
)
# SQLite rebuilds `article` to change it, and the rebuilt table has lost the row-count triggers
# of revision 55b222f2e7e7: they are made again after each rebuild.
SQLITE_ROW_COUNT_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS article_row_count_insert AFTER INSERT ON article BEGIN
      INSERT INTO row_count (table_name, slot, n) VALUES ('article', abs(random()) % 16, 1)
      ON CONFLICT (table_name, slot) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS article_row_count_delete AFTER DELETE ON article BEGIN
      INSERT INTO row_count (table_name, slot, n) VALUES ('article', abs(random()) % 16, -1)
      ON CONFLICT (table_name, slot) DO UPDATE SET n = n - 1;
    END""",
)


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _restore_sqlite_triggers() -> None:
    if not _is_postgres():
        for trigger in SQLITE_ROW_COUNT_TRIGGERS:
            op.execute(trigger)


def _slug(title: str, taken: set[str]) -> str:
    """As Advanced Alchemy's slugify makes them, numbered when taken."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^\w\s-]", "", ascii_title.lower())
    base = re.sub(r"[-\s]+", "-", words).strip("-_")[:SLUG_LENGTH].strip("-_") or "article"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def _slug_existing_articles() -> None:
    connection = op.get_bind()
    taken: set[str] = set()
    slugs = [
        {"row_id": row.id, "slug": _slug(row.title, taken)}
        for row in connection.execute(sa.select(article.c.id, article.c.title).order_by(article.c.id))
    ]
    update = article.update().where(article.c.id == sa.bindparam("row_id")).values(slug=sa.bindparam("slug"))
    for start in range(0, len(slugs), BATCH):
        connection.execute(update, slugs[start : start + BATCH])


def upgrade() -> None:
    op.create_table(
        "tag",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_tag_name")),
    )
    op.create_table(
        "follow",
        sa.Column("follower_id", sa.BigInteger(), nullable=False),
        sa.Column("followed_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["followed_id"], ["author.id"], name=op.f("fk_follow_followed_id_author"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"], ["author.id"], name=op.f("fk_follow_follower_id_author"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("follower_id", "followed_id", name=op.f("pk_follow")),
    )
    with op.batch_alter_table("follow", schema=None) as batch_op:
        batch_op.create_index("ix_follow_followed_id", ["followed_id"], unique=False)

    op.create_table(
        "article_tag",
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_article_tag_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], name=op.f("fk_article_tag_tag_id_tag"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "tag_id", name=op.f("pk_article_tag")),
    )
    with op.batch_alter_table("article_tag", schema=None) as batch_op:
        batch_op.create_index("ix_article_tag_tag_id_article_id", ["tag_id", "article_id"], unique=False)

    op.create_table(
        "comment",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_comment_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["author.id"], name=op.f("fk_comment_author_id_author"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index("ix_comment_article_id_created_at_id", ["article_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_comment_author_id", ["author_id"], unique=False)

    op.create_table(
        "favorite",
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_favorite_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["author.id"], name=op.f("fk_favorite_author_id_author"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("author_id", "article_id", name=op.f("pk_favorite")),
    )
    with op.batch_alter_table("favorite", schema=None) as batch_op:
        batch_op.create_index("ix_favorite_article_id", ["article_id"], unique=False)

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.String(length=1000), server_default="", nullable=False))
        batch_op.add_column(sa.Column("favorites_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("slug", sa.String(length=100), nullable=True))
    _slug_existing_articles()
    # On SQLite the rebuilt table is AUTOINCREMENT, as `author` is: an id is never handed out twice.
    with op.batch_alter_table("article", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint("uq_article_slug", ["slug"])
    _restore_sqlite_triggers()
    for statement in POSTGRES_FAVORITES if _is_postgres() else SQLITE_FAVORITES:
        op.execute(statement)


def downgrade() -> None:
    # Tags, favourites, follows and comments did not exist before: going back drops them.
    if _is_postgres():
        op.execute("DROP TRIGGER favorite_counted ON favorite")
        op.execute("DROP FUNCTION favorites_changed()")
    else:
        op.execute("DROP TRIGGER favorite_counted_insert")
        op.execute("DROP TRIGGER favorite_counted_delete")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_constraint("uq_article_slug", type_="unique")
        batch_op.drop_column("slug")
        batch_op.drop_column("favorites_count")
        batch_op.drop_column("description")
    _restore_sqlite_triggers()

    with op.batch_alter_table("favorite", schema=None) as batch_op:
        batch_op.drop_index("ix_favorite_article_id")
    op.drop_table("favorite")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_author_id")
        batch_op.drop_index("ix_comment_article_id_created_at_id")
    op.drop_table("comment")
    with op.batch_alter_table("article_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_article_tag_tag_id_article_id")
    op.drop_table("article_tag")
    with op.batch_alter_table("follow", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_followed_id")
    op.drop_table("follow")
    op.drop_table("tag")
