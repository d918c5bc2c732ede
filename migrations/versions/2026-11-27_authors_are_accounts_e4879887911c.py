"""authors are accounts

Authors gain a username and an e-mail address (each unique whatever its case), a password
hash, a bio and an image; their names become optional. Existing authors keep their ids and
articles: each gets a unique username made from their names (`ada.lovelace`, then
`ada.lovelace-2`...), the placeholder address `<username>@migrated.invalid` (`.invalid` is
reserved and never delivers) and no password, which `litestar users set-password` gives.

Downgrade keeps every author: one without a first or last name gets their username there.

Revision ID: e4879887911c
Revises: 55b222f2e7e7
Create Date: 2026-11-27 05:40:00.000000
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4879887911c"
down_revision: str | None = "55b222f2e7e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

author = sa.table(
    "author",
    sa.column("id", sa.BigInteger),
    sa.column("first_name", sa.String),
    sa.column("last_name", sa.String),
    sa.column("username", sa.String),
    sa.column("email", sa.String),
)
BATCH = 1_000

# SQLite rebuilds a table to change a column's nullability, and the rebuilt table has lost
# the row-count triggers of revision 55b222f2e7e7: they are made again after each rebuild.
SQLITE_ROW_COUNT_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS author_row_count_insert AFTER INSERT ON author BEGIN
      INSERT INTO row_count (table_name, slot, n) VALUES ('author', abs(random()) % 16, 1)
      ON CONFLICT (table_name, slot) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS author_row_count_delete AFTER DELETE ON author BEGIN
      INSERT INTO row_count (table_name, slot, n) VALUES ('author', abs(random()) % 16, -1)
      ON CONFLICT (table_name, slot) DO UPDATE SET n = n - 1;
    END""",
)


def _restore_sqlite_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in SQLITE_ROW_COUNT_TRIGGERS:
            op.execute(trigger)


def _username(first_name: str | None, last_name: str | None, taken: set[str]) -> str:
    """``first.last`` in the allowed characters (accents dropped: Zoë is zoe), made unique with a number."""
    names = unicodedata.normalize("NFKD", f"{first_name or ''}.{last_name or ''}").encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9_.-]+", "", names.lower()).strip(".-_")[:32]
    base = base or "author"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    taken.add(name)
    return name


def _name_existing_authors() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(author.c.id, author.c.first_name, author.c.last_name).order_by("id")).all()
    taken: set[str] = set()
    named = [{"row_id": row.id, "username": _username(row.first_name, row.last_name, taken)} for row in rows]
    for record in named:
        record["email"] = f"{record['username']}@migrated.invalid"
    update = (
        author.update()
        .where(author.c.id == sa.bindparam("row_id"))
        .values(username=sa.bindparam("username"), email=sa.bindparam("email"))
    )
    for start in range(0, len(named), BATCH):
        connection.execute(update, named[start : start + BATCH])


def upgrade() -> None:
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("bio", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("image", sa.String(length=2048), nullable=True))
    _name_existing_authors()
    # On SQLite the rebuilt table is AUTOINCREMENT: an id once used is never handed out again,
    # or a deleted author's tokens would pass for the next account.
    with op.batch_alter_table("author", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column("username", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=False)
        batch_op.alter_column("first_name", existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column("last_name", existing_type=sa.String(length=100), nullable=True)
    _restore_sqlite_triggers()
    op.create_index("uq_author_username", "author", [sa.text("lower(username)")], unique=True)
    op.create_index("uq_author_email", "author", [sa.text("lower(email)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_author_email", table_name="author")
    op.drop_index("uq_author_username", table_name="author")
    op.execute(
        author.update()
        .where(sa.or_(author.c.first_name.is_(None), author.c.last_name.is_(None)))
        .values(
            first_name=sa.func.coalesce(author.c.first_name, author.c.username),
            last_name=sa.func.coalesce(author.c.last_name, author.c.username),
        )
    )
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.alter_column("first_name", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("last_name", existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_column("image")
        batch_op.drop_column("bio")
        batch_op.drop_column("password_hash")
        batch_op.drop_column("email")
        batch_op.drop_column("username")
    _restore_sqlite_triggers()
