"""Alembic environment, shared by ``alembic ...`` and ``litestar database ...``.

Advanced Alchemy's CLI hands over its engine (``config.engine``); plain ``alembic`` gets the
URL from ``config.attributes["url"]`` (tests) or from the app's settings. Both use the same
version table, so either tool can pick up where the other left off.
"""

import asyncio
import logging.config
import warnings

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from blog.database import VERSION_TABLE
from blog.models import metadata
from blog.settings import load_settings

config = context.config
# Under `litestar database ...` the app has set up logging already (blog.logs): keep its format.
configure_logging = config.attributes.get("configure_logging", True) and not logging.getLogger().handlers
if config.config_file_name is not None and configure_logging:
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = metadata


def _url() -> str:
    return str(config.attributes.get("url") or getattr(config, "db_url", None) or load_settings().database.url)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction(), warnings.catch_warnings():
        if connection.dialect.name == "sqlite":
            # SQLite's reflection cannot read an index on an expression (the case-insensitive
            # uq_author_username and uq_author_email), and SQLAlchemy says so whenever `author`
            # is reflected: by batch mode rebuilding `article` (whose foreign key names `author`)
            # and by `alembic check`, which then cannot compare them (PostgreSQL's check does).
            # Neither touches them; tests/test_quiet_migrations.py checks they survive every upgrade.
            for said in ("Skipped unsupported reflection of", "autogenerate skipping metadata-specified"):
                warnings.filterwarnings("ignore", rf"{said} expression-based index '?uq_author_(username|email)\b")
        context.run_migrations()


async def run_migrations_online() -> None:
    engine: AsyncEngine | None = getattr(config, "engine", None)
    owned = engine is None or engine.dialect.name == "sqlite"
    if owned:
        # SQLite alters a table by rebuilding it (a copy, a DROP, a rename). The app's engine
        # enforces foreign keys (blog.database), under which that DROP would first delete every
        # row, and ON DELETE CASCADE every article with them: SQLite migrates on a plain engine.
        engine = create_async_engine(engine.url if engine is not None else _url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        if owned:
            await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
