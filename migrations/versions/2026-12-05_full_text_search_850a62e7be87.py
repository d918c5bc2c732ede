"""full-text search: a stored tsvector per article, kept by triggers, with a GIN index

PostgreSQL: `article.search_vector` holds the words of the title (weight A), the description
(C), the content (D) and the tags (B, last), stemmed in the text search configuration that
`search.language` names when this revision runs (`english` by default). Triggers keep it:
one on `article` when its title, description or content is written (a COPY included), and
statement-level ones on `article_tag` and `tag` when an article's tags change, however they
are written (the API, a bulk load, a hand-written INSERT); those replace only the tags' part
(`ts_filter`), without parsing the content again. Every existing article is indexed here.
`article_search_language()` says the configuration; `SELECT article_search_reindex('german')`
switches to another and indexes every article again (docs/search.md).

SQLite: the column is added and stays null, its index empty: search there matches the text
itself (docs/search.md).

Revision ID: 850a62e7be87
Revises: e42bb89bb4a4
Create Date: 2026-12-05 18:20:41.518113
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from blog.settings import TEXT_SEARCH_CONFIG, load_settings

revision: str = "850a62e7be87"
down_revision: str | None = "e42bb89bb4a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# plpgsql, not an inlined SQL function: a session that planned with the old language (a trigger's
# cached plan) would keep it after `article_search_reindex`; plpgsql reads the new body at once.
LANGUAGE_FUNCTION = (
    "CREATE OR REPLACE FUNCTION article_search_language() RETURNS regconfig LANGUAGE plpgsql STABLE PARALLEL SAFE"
    " AS $language$ BEGIN RETURN %L::regconfig; END $language$"
)
# The tags' part of an article's vector: its tag names in order, weight B.
REFRESH_TAGS = (
    "coalesce(ts_filter(search_vector, '{a,c,d}'), article_search_text(title, description, content))"
    " || article_search_tags(article.id)"
)
POSTGRES_FUNCTIONS = (
    """CREATE FUNCTION article_search_text(title text, description text, content text) RETURNS tsvector
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
      SELECT setweight(to_tsvector(article_search_language(), title), 'A')
          || setweight(to_tsvector(article_search_language(), description), 'C')
          || to_tsvector(article_search_language(), content) $$""",
    """CREATE FUNCTION article_search_tags(article_id bigint) RETURNS tsvector
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
      SELECT setweight(to_tsvector(article_search_language(),
                                   coalesce(string_agg(tag.name, ' ' ORDER BY article_tag.position), '')), 'B')
      FROM article_tag JOIN tag ON tag.id = article_tag.tag_id
      WHERE article_tag.article_id = $1 $$""",
    # A new article has no tags yet: only its text is parsed.
    """CREATE FUNCTION article_search_written() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector := article_search_text(NEW.title, NEW.description, NEW.content)
        || CASE WHEN TG_OP = 'INSERT' THEN ''::tsvector ELSE article_search_tags(NEW.id) END;
      RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION article_search_tags_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE article SET search_vector = {REFRESH_TAGS}
      WHERE article.id IN (SELECT article_id FROM changed_links);
      IF TG_OP = 'UPDATE' THEN  -- a link moved to another article: the one it left too
        UPDATE article SET search_vector = {REFRESH_TAGS}
        WHERE article.id IN (SELECT article_id FROM links_before EXCEPT SELECT article_id FROM changed_links);
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION article_search_tag_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE article SET search_vector = {REFRESH_TAGS}
      WHERE article.id IN (
        SELECT article_tag.article_id FROM article_tag
        JOIN renamed ON renamed.id = article_tag.tag_id
        JOIN tags_before ON tags_before.id = renamed.id AND tags_before.name IS DISTINCT FROM renamed.name);
      RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION article_search_reindex(language regconfig) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
      indexed bigint;
    BEGIN
      EXECUTE format('{LANGUAGE_FUNCTION}', language::text);
      UPDATE article SET search_vector = article_search_text(title, description, content)
                                         || article_search_tags(article.id);
      GET DIAGNOSTICS indexed = ROW_COUNT;
      RETURN indexed;
    END $$""",
)
POSTGRES_TRIGGERS = (
    """CREATE TRIGGER article_search_written BEFORE INSERT OR UPDATE OF title, description, content ON article
      FOR EACH ROW EXECUTE FUNCTION article_search_written()""",
    """CREATE TRIGGER article_tag_search_insert AFTER INSERT ON article_tag
      REFERENCING NEW TABLE AS changed_links FOR EACH STATEMENT EXECUTE FUNCTION article_search_tags_changed()""",
    """CREATE TRIGGER article_tag_search_delete AFTER DELETE ON article_tag
      REFERENCING OLD TABLE AS changed_links FOR EACH STATEMENT EXECUTE FUNCTION article_search_tags_changed()""",
    """CREATE TRIGGER article_tag_search_update AFTER UPDATE ON article_tag
      REFERENCING OLD TABLE AS links_before NEW TABLE AS changed_links
      FOR EACH STATEMENT EXECUTE FUNCTION article_search_tags_changed()""",
    """CREATE TRIGGER tag_search_renamed AFTER UPDATE ON tag
      REFERENCING OLD TABLE AS tags_before NEW TABLE AS renamed
      FOR EACH STATEMENT EXECUTE FUNCTION article_search_tag_renamed()""",
)
DROPPED_TRIGGERS = (
    ("article_search_written", "article"),
    ("article_tag_search_insert", "article_tag"),
    ("article_tag_search_delete", "article_tag"),
    ("article_tag_search_update", "article_tag"),
    ("tag_search_renamed", "tag"),
)
DROPPED_FUNCTIONS = (
    "article_search_reindex(regconfig)",
    "article_search_tag_renamed()",
    "article_search_tags_changed()",
    "article_search_written()",
    "article_search_tags(bigint)",
    "article_search_text(text, text, text)",
    "article_search_language()",
)


KNOWN_CONFIGURATION = sa.text(
    "SELECT count(*) FROM pg_ts_config JOIN pg_namespace ON pg_namespace.oid = cfgnamespace"
    " WHERE cfgname = :name AND (nspname = :schema OR (:schema = '' AND pg_ts_config_is_visible(pg_ts_config.oid)))"
)


def _language() -> str:
    """``search.language`` (litestar.toml, or ``SEARCH_LANGUAGE``), as this server names it."""
    language = load_settings().search.language
    if not re.fullmatch(TEXT_SEARCH_CONFIG, language):  # the settings check it; this is SQL text
        raise ValueError(f"search.language {language!r} is not a text search configuration's name")
    schema, _, name = language.rpartition(".")
    known = op.get_bind().scalar(KNOWN_CONFIGURATION, {"schema": schema, "name": name})
    if not known:
        raise ValueError(
            f"search.language is {language!r}, which this PostgreSQL server does not know as a text search "
            "configuration (SELECT cfgname FROM pg_ts_config): set it to one of them, then migrate again"
        )
    return language


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    column_type = postgresql.TSVECTOR() if postgres else sa.Text()
    op.add_column("article", sa.Column("search_vector", column_type, nullable=True))
    if not postgres:
        op.create_index(
            "ix_article_search_vector", "article", ["search_vector"], sqlite_where=sa.text("search_vector IS NOT NULL")
        )
        return
    op.execute(LANGUAGE_FUNCTION.replace("%L", f"'{_language()}'"))
    for statement in (*POSTGRES_FUNCTIONS, *POSTGRES_TRIGGERS):
        op.execute(statement)
    op.execute(
        "UPDATE article SET search_vector = article_search_text(title, description, content)"
        " || article_search_tags(article.id)"
    )
    op.create_index("ix_article_search_vector", "article", ["search_vector"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_article_search_vector", table_name="article")
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in DROPPED_TRIGGERS:
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        for function in DROPPED_FUNCTIONS:
            op.execute(f"DROP FUNCTION {function}")
        op.drop_column("article", "search_vector")
    else:
        # In place (a batch would rebuild the table, which the triggers naming it forbid).
        op.execute("ALTER TABLE article DROP COLUMN search_vector")
