"""The database: Advanced Alchemy's plugin configuration, the schema check, the health probe.

The ``SQLAlchemyPlugin`` owns the engine and the request sessions. It is given two
configurations on one engine and one connection pool:

- **writes** (``db_session``): a session in a transaction. It does not commit by itself:
  write services commit before the handler returns (``auto_commit=True``), so a failed
  commit becomes an error response instead of a 2xx for data that was never stored.
- **reads** (``db_read_session``): a session in autocommit mode. A read is one or two
  SELECTs; in a transaction it would pay a BEGIN and a ROLLBACK round trip as well. Under
  PostgreSQL's READ COMMITTED every statement takes its own snapshot anyway, so a read loses
  nothing and still sees every committed write.

The pool's connections are made in autocommit mode, and a write session's connection is
switched into transactions while it has it (``database``), so that the frequent case, a
read, pays for no switch.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from advanced_alchemy.config import AlembicAsyncConfig, AsyncSessionConfig
from advanced_alchemy.extensions.litestar import EngineConfig, SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from advanced_alchemy.utils.dataclass import Empty
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from blog.domain.articles.search import check_search_language
from blog.settings import PROJECT_ROOT, DatabaseSettings, Settings
from blog.startup import StartupError, exit_on_startup_error

logger = logging.getLogger("blog.database")

VERSION_TABLE = "alembic_version"
"""Alembic's default name; ``alembic`` and ``litestar database`` share this one table."""
READ_SESSION = "db_read_session"
"""The dependency a read handler's services take their session from (``db_session`` for writes)."""
COMMAND_TIMEOUT_MARGIN = 2.0
"""Seconds the driver waits beyond ``statement_timeout`` before it gives up on the server."""
UPGRADE_HINT = "Run `litestar database upgrade --no-prompt` (or `make migrate`, or `alembic upgrade head`)"
WITHOUT_DATABASE = "or set APP_CHECK_MIGRATIONS=false to start without it and answer 503 until it is back"


class SchemaOutOfDateError(StartupError):
    """The database is not at the latest migration, so the app must not serve requests."""

    fix = f"{UPGRADE_HINT}, then start the app again."


class DatabaseUnavailableError(StartupError):
    """The database cannot be reached, does not exist, or refuses the login."""


def alembic_config(url: str | None = None) -> AlembicConfig:
    """Alembic's configuration for ``migrations/``; ``url`` overrides the settings' URL."""
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url is not None:
        # An attribute rather than ``sqlalchemy.url``: ConfigParser would interpolate any '%'.
        config.attributes["url"] = url
    return config


def _make_sqlite_behave(dbapi_connection: Any, _: Any) -> None:
    # Per connection, SQLite must be asked to enforce foreign keys (and so ON DELETE CASCADE)
    # and to make LIKE case-sensitive, as PostgreSQL's is (searchIgnoreCase uses lower()).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()


def _connect_args(settings: DatabaseSettings) -> dict[str, Any]:
    """Driver arguments that bound every wait, so a lost database means a quick 503, not a hang."""
    if make_url(settings.url).get_backend_name() != "postgresql":
        return {"timeout": settings.connect_timeout}  # SQLite: how long to wait for a lock
    args: dict[str, Any] = {"timeout": settings.connect_timeout}
    if settings.statement_timeout:
        # The server cancels a slow statement; the driver gives up a little later on a server
        # that stopped answering at all (a dead network never delivers the cancellation).
        args["command_timeout"] = settings.statement_timeout + COMMAND_TIMEOUT_MARGIN
        if not settings.pgbouncer:  # PgBouncer refuses a connection that sets it
            args["server_settings"] = {"statement_timeout": str(round(settings.statement_timeout * 1000))}
    if settings.pgbouncer:
        # Each transaction may run on another server connection, where a statement prepared
        # on this one does not exist: cache none, and give each a name no other client uses.
        args["statement_cache_size"] = 0
        args["prepared_statement_cache_size"] = 0
        args["prepared_statement_name_func"] = _unique_statement_name
    return args


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def _refuse_closed_connections(_: Any, record: ConnectionPoolEntry, __: Any) -> None:
    """Never hand a request a connection that PostgreSQL has closed; the pool opens a new one.

    A server that stops or restarts closes its connections, and asyncpg sees the socket
    close at once, so this check needs no round trip. ``pool_pre_ping`` would cost three
    (BEGIN, a ping, ROLLBACK) on every request. A connection lost without a close (a dead
    network) runs into the timeouts instead, and SQLAlchemy then discards the pool.
    """
    if record.driver_connection is None or record.driver_connection.is_closed():
        raise DisconnectionError


@dataclass(frozen=True)
class Database:
    """The plugin's two configurations: ``writes`` (the default session) and ``reads``."""

    writes: SQLAlchemyAsyncConfig
    reads: SQLAlchemyAsyncConfig

    @property
    def engine(self) -> AsyncEngine:
        """The one engine (and connection pool) both use, its connections as reads take them."""
        return self.reads.get_engine()

    def plugin(self) -> SQLAlchemyPlugin:
        # The write configuration comes first: `litestar database ...` migrates with it.
        return SQLAlchemyPlugin(config=[self.writes, self.reads])


def database(settings: DatabaseSettings) -> Database:
    """Advanced Alchemy's configurations for ``settings``: engine, sessions and the ``litestar database`` CLI.

    The pool's connections are in autocommit mode, as reads want them; a write session's
    connection is switched to a transaction (READ COMMITTED, PostgreSQL's default) when it is
    checked out, and back when it is returned. The other way round, every read paid for the
    switch: 15% of a read by id's throughput (docs/performance.md). Behind PgBouncer a
    statement outside a transaction can be prepared on one server connection and run on
    another, so there every session keeps its transaction.
    """
    engine = SQLAlchemyAsyncConfig(
        connection_string=settings.url,
        engine_config=EngineConfig(
            # `echo` is not the engine's: its own handler would print each statement a second
            # time, in another format. blog.logs sets the level of SQLAlchemy's logger instead.
            # The statements, without their values: a password's hash or an e-mail address
            # stays out of the log (with echo on) and out of error messages.
            hide_parameters=True,
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,  # type: ignore[arg-type]  # SQLAlchemy takes a float
            # Replaced by `_refuse_closed_connections`, which costs no round trip.
            pool_pre_ping=False,
            connect_args=_connect_args(settings),
            isolation_level=Empty if settings.pgbouncer else "AUTOCOMMIT",
        ),
    ).get_engine()
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _make_sqlite_behave)
    else:
        event.listen(engine.sync_engine, "checkout", _refuse_closed_connections)
    in_transactions = (
        engine if settings.pgbouncer else engine.execution_options(isolation_level=_TRANSACTIONS[engine.dialect.name])
    )
    writes = SQLAlchemyAsyncConfig(
        engine_instance=in_transactions,
        # Objects stay readable after the commit, without a lazy reload outside the handler.
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # blog.errors maps repository errors, identically with and without --debug.
        set_default_exception_handler=False,
        alembic_config=AlembicAsyncConfig(
            script_config=str(PROJECT_ROOT / "alembic.ini"),
            script_location=str(PROJECT_ROOT / "migrations"),
            version_table_name=VERSION_TABLE,
        ),
    )
    reads = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_dependency_key=READ_SESSION,
        engine_dependency_key="db_read_engine",
        session_config=AsyncSessionConfig(expire_on_commit=False),
        set_default_exception_handler=False,
    )
    return Database(writes=writes, reads=reads)


_TRANSACTIONS = {"postgresql": "READ COMMITTED", "sqlite": "SERIALIZABLE"}
"""Each database's default isolation level: what a write session's connection is switched to."""


def _current_revisions(connection: Connection) -> set[str]:
    # Read directly rather than through Alembic's MigrationContext, which logs two lines at
    # INFO every time it is made: noise in every start-up.
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return set(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        cause = pending.pop()
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        pending += [cause.__context__, cause.__cause__, getattr(cause, "orig", None)]


def describe_database_error(error: BaseException, url: str) -> DatabaseUnavailableError | None:
    """What a failed connection to ``url`` means for the person starting the app, if it is one."""
    where = make_url(url)
    shown = where.render_as_string(hide_password=True)
    for cause in _causes(error):
        sqlstate = str(getattr(cause, "sqlstate", "") or "")
        if sqlstate == "3D000":  # invalid_catalog_name
            server = f"-h {where.host or 'localhost'} -p {where.port or 5432} -U {where.username}"
            create = f"createdb {server} {where.database}"
            return DatabaseUnavailableError(
                f"the database {where.database!r} does not exist on the server at {shown}",
                fix=f"Create it ({create}), then run `litestar database upgrade --no-prompt`.",
            )
        if sqlstate in {"28P01", "28000"}:  # invalid_password, invalid_authorization_specification
            return DatabaseUnavailableError(
                f"the database server at {shown} refused the login: {cause}",
                fix="Check the user and password in DATABASE_URL.",
            )
        if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
            return DatabaseUnavailableError(
                f"cannot open the SQLite database {where.database}: {cause}",
                fix="Check that its directory exists and is writable, or set DATABASE_URL.",
            )
        if isinstance(cause, OSError):  # refused, unreachable, unknown host, timed out
            reason = str(cause) or type(cause).__name__
            return DatabaseUnavailableError(
                f"cannot reach the database at {shown}: {reason}",
                fix=f"Start the database server or point DATABASE_URL at a running one ({WITHOUT_DATABASE}).",
            )
    return None


def check_before_serving(settings: Settings, *, debug: bool) -> None:
    """Refuse to serve on a database the app cannot use (``app.check_migrations``): unreachable,
    missing, or behind the migrations. Two lines on stderr and exit status 3 (a traceback with
    ``debug``), before the server listens; once it serves, an outage is answered 503 instead.

    Called by ``litestar run`` (``BlogCLIPlugin.server_lifespan``) and ``blog.asgi.production_app``.
    """
    if settings.app.check_migrations:
        with exit_on_startup_error(lambda: debug):
            check_database(settings.database, search_language=settings.search.language)


def check_database(settings: DatabaseSettings, *, search_language: str | None = None) -> None:
    """Connect once and compare the schema with the migrations' head (and, on PostgreSQL, the
    articles' search index with ``search_language``, if given: ``blog.domain.articles.search``).

    Raises ``DatabaseUnavailableError``, ``SchemaOutOfDateError`` or ``SearchLanguageError``, each
    naming the fix. Runs on a thread and an event loop of its own, since a server calls the app
    factory from inside its running loop; the connection is the check's own, not the app's pool.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="schema-check") as pool:
        pool.submit(asyncio.run, _check_database(settings, search_language)).result()


async def _check_database(settings: DatabaseSettings, search_language: str | None = None) -> None:
    expected = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    engine = create_async_engine(settings.url, poolclass=NullPool, connect_args=_connect_args(settings))
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(_current_revisions)
            if search_language is not None and current == expected:
                await check_search_language(connection, search_language)
    except (OSError, DBAPIError) as exc:
        if (problem := describe_database_error(exc, settings.url)) is not None:
            raise problem from exc
        raise
    finally:
        await engine.dispose()
    if current != expected:
        found = ", ".join(sorted(current)) or "none (the database has no tables yet)"
        msg = (
            f"the database schema is not up to date: it is at revision {found}, "
            f"the code expects {', '.join(sorted(expected))}"
        )
        raise SchemaOutOfDateError(msg)


async def database_is_reachable(engine: AsyncEngine) -> bool:
    """Run ``SELECT 1``; ``False`` if the database cannot answer."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - whatever the failure, the answer is "unreachable"
        logger.warning("database health check failed: %r", exc)
        return False
    return True
