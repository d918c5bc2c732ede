"""Migrating and checking an SQLite database says nothing a newcomer cannot act on, and keeps
the indexes SQLite cannot reflect (whose warnings ``migrations/env.py`` silences)."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import migrate
from tests.test_migrations import check


def test_sqlite_migrations_warn_of_nothing_and_keep_the_expression_indexes(tmp_path: Path) -> None:
    path = tmp_path / "blog.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    gc.collect()  # what earlier tests in this worker left to the collector is said now, not below
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        migrate(url)
        check(url)
    # A ResourceWarning is the collector's, said wherever it happens to run: an earlier test's
    # socket, not anything migrating says.
    assert [str(w.message) for w in said if not issubclass(w.category, ResourceWarning)] == []

    # Batch mode rebuilds a table without the indexes it cannot reflect: a migration that
    # rebuilt `author` after creating these would drop them, silently.
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        found = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")).all()
    engine.dispose()
    indexes = {name: sql for name, sql in found}
    assert "lower(username)" in indexes["uq_author_username"]
    assert "lower(email)" in indexes["uq_author_email"]
