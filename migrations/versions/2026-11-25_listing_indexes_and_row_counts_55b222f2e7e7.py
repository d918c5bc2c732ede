"""listing indexes and row counts

One index per listing order (each ending in `id`, so orders are total), the author index
extended to serve "one author's articles, newest first", and exact row counts of author and
article kept by triggers in `row_count`, so an unfiltered listing need not count a million
rows for its `X-Total-Count`.

Revision ID: 55b222f2e7e7
Revises: 054a0a54027c
Create Date: 2026-11-25 04:58:38.732252
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "55b222f2e7e7"
down_revision: str | None = "054a0a54027c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COUNTED_TABLES = ("author", "article")
SLOTS = 16  # rows per counted table: concurrent writers rarely update the same one

# PostgreSQL: one statement-level trigger run per INSERT/DELETE statement, however many rows
# it touches (a COPY of a million rows included); a random slot keeps concurrent writers apart.
POSTGRES_FUNCTIONS = (
    f"""CREATE FUNCTION row_count_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO row_count AS counted (table_name, slot, n)
      SELECT TG_TABLE_NAME, floor(random() * {SLOTS})::int,
             CASE TG_OP WHEN 'INSERT' THEN count(*) ELSE -count(*) END
      FROM changed_rows HAVING count(*) > 0
      ON CONFLICT (table_name, slot) DO UPDATE SET n = counted.n + excluded.n;
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION row_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM row_count WHERE table_name = TG_TABLE_NAME;
      RETURN NULL;
    END $$""",
)
POSTGRES_TRIGGERS = {
    "insert": """CREATE TRIGGER {table}_row_count_insert AFTER INSERT ON {table}
      REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION row_count_changed()""",
    "delete": """CREATE TRIGGER {table}_row_count_delete AFTER DELETE ON {table}
      REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION row_count_changed()""",
    "truncate": """CREATE TRIGGER {table}_row_count_truncate AFTER TRUNCATE ON {table}
      FOR EACH STATEMENT EXECUTE FUNCTION row_count_truncated()""",
}
# SQLite has row-level triggers only.
SQLITE_TRIGGERS = {
    "insert": f"""CREATE TRIGGER {{table}}_row_count_insert AFTER INSERT ON {{table}} BEGIN
      INSERT INTO row_count (table_name, slot, n) VALUES ('{{table}}', abs(random()) % {SLOTS}, 1)
      ON CONFLICT (table_name, slot) DO UPDATE SET n = n + 1;
    END""",
    "delete": f"""CREATE TRIGGER {{table}}_row_count_delete AFTER DELETE ON {{table}} BEGIN
      INSERT INTO row_count (table_name, slot, n) VALUES ('{{table}}', abs(random()) % {SLOTS}, -1)
      ON CONFLICT (table_name, slot) DO UPDATE SET n = n - 1;
    END""",
}


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create_counters() -> None:
    postgres = _is_postgres()
    for function in POSTGRES_FUNCTIONS if postgres else ():
        op.execute(function)
    for table in COUNTED_TABLES:
        op.execute(f"INSERT INTO row_count (table_name, slot, n) SELECT '{table}', 0, count(*) FROM {table}")
        for trigger in (POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS).values():
            op.execute(trigger.format(table=table))


def _drop_counters() -> None:
    postgres = _is_postgres()
    for table in COUNTED_TABLES:
        for event in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {table}_row_count_{event}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION row_count_changed()")
        op.execute("DROP FUNCTION row_count_truncated()")


def upgrade() -> None:
    op.create_table(
        "row_count",
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "slot", name=op.f("pk_row_count")),
        comment=(
            "Exact row counts of author and article, kept by triggers (see the migrations): "
            "a table's count is the sum of its slots. Unfiltered listings read it instead of "
            "counting a million rows."
        ),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_author_id"))
        batch_op.create_index("ix_article_author_id_created_at_id", ["author_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_article_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_article_title_id", ["title", "id"], unique=False)
        batch_op.create_index("ix_article_updated_at_id", ["updated_at", "id"], unique=False)

    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.create_index("ix_author_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_author_last_name_id", ["last_name", "id"], unique=False)
        batch_op.create_index("ix_author_updated_at_id", ["updated_at", "id"], unique=False)

    _create_counters()


def downgrade() -> None:
    _drop_counters()
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.drop_index("ix_author_updated_at_id")
        batch_op.drop_index("ix_author_last_name_id")
        batch_op.drop_index("ix_author_created_at_id")

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_updated_at_id")
        batch_op.drop_index("ix_article_title_id")
        batch_op.drop_index("ix_article_created_at_id")
        batch_op.drop_index("ix_article_author_id_created_at_id")
        batch_op.create_index(batch_op.f("ix_article_author_id"), ["author_id"], unique=False)

    op.drop_table("row_count")
