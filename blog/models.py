"""Every table of the app in one metadata: what Alembic compares the migrations against.

Each domain keeps its models in its own folder (``blog/domain/<name>/models.py``); importing
this module registers them all. ``migrations/`` holds the schema's truth.
"""

from __future__ import annotations

from advanced_alchemy.base import orm_registry
from sqlalchemy import BigInteger, Column, SmallInteger, String, Table

from blog.domain.articles.models import Article, ArticleTag, Favorite
from blog.domain.authors.models import Author
from blog.domain.comments.models import Comment
from blog.domain.profiles.models import Follow
from blog.domain.tags.models import Tag

metadata = orm_registry.metadata

row_count = Table(
    "row_count",
    metadata,
    Column("table_name", String(32), primary_key=True),
    Column("slot", SmallInteger, primary_key=True),
    Column("n", BigInteger, nullable=False),
    comment=(
        "Exact row counts of author and article, kept by triggers (see the migrations): "
        "a table's count is the sum of its slots. Unfiltered listings read it instead of "
        "counting a million rows."
    ),
)
"""Each counted table's number of rows, spread over slots so that concurrent writers rarely
update the same row; kept by the triggers of migration ``55b222f2e7e7``."""

__all__ = ("Article", "ArticleTag", "Author", "Comment", "Favorite", "Follow", "Tag", "metadata", "row_count")
