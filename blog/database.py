"""The database: Advanced Alchemy's plugin configuration, the schema check, the health probe.

The ``SQLAlchemyPlugin`` owns the engine and one session per request. It does not commit:
write services commit before the handler returns (``auto_commit=True``), so a failed commit
becomes an error response instead of a 2xx for data that was never stored.
"""

from __future__ import annotations

import logging
import uuid
from functools import cached_property
from typing import Any

from advanced_alchemy.config import AlembicAsyncConfig, AsyncSessionConfig
from advanced_alchemy.extensions.litestar import EngineConfig, SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state, set_aa_scope_state
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from litestar.datastructures import State
from litestar.types import Scope
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry

from blog.settings import PROJECT_ROOT, DatabaseSettings

logger = logging.getLogger("blog.database")

VERSION_TABLE = "alembic_version"
"""Alembic's default name; ``alembic`` and ``litestar database`` share this one table."""
READ_METHODS = frozenset({"GET", "HEAD"})
COMMAND_TIMEOUT_MARGIN = 2.0
"""Seconds the driver waits beyond ``statement_timeout`` before it gives up on the server."""
UPGRADE_HINT = "Run `litestar database upgrade --no-prompt` (or `alembic upgrade head`)"


class SchemaOutOfDateError(RuntimeError):
    """The database is not at the latest migration, so the app must not serve requests."""


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


class AutocommitReadsConfig(SQLAlchemyAsyncConfig):
    """Advanced Alchemy's configuration, with a read request's session outside any transaction.

    A read is one or two SELECTs; in a transaction it would pay a BEGIN and a ROLLBACK round
    trip as well. Under PostgreSQL's READ COMMITTED every statement takes its own snapshot
    anyway, so a GET loses nothing in autocommit mode and still sees every committed write.
    Its session uses the same engine and pool, with ``isolation_level="AUTOCOMMIT"``; the
    sessions of writes keep their transactions. Not used behind PgBouncer (see below).
    """

    @cached_property
    def autocommit_engine(self) -> AsyncEngine:
        return self.get_engine().execution_options(isolation_level="AUTOCOMMIT")

    def provide_session(self, state: State, scope: Scope) -> AsyncSession:
        if scope.get("method") not in READ_METHODS or get_aa_scope_state(scope, self.session_scope_key):
            return super().provide_session(state, scope)
        # As the parent does, but bound to the autocommit engine; kept where the plugin's
        # before-send handler finds the session to close it.
        session: AsyncSession = state[self.session_maker_app_state_key](bind=self.autocommit_engine)
        set_aa_scope_state(scope, self.session_scope_key, session)
        return session


def sqlalchemy_config(settings: DatabaseSettings) -> SQLAlchemyAsyncConfig:
    """Advanced Alchemy's configuration: engine, sessions and the ``litestar database`` CLI."""
    # Behind PgBouncer a statement outside a transaction can be prepared on one server
    # connection and run on another, so there reads keep their transactions.
    config_type = SQLAlchemyAsyncConfig if settings.pgbouncer else AutocommitReadsConfig
    config = config_type(
        connection_string=settings.url,
        engine_config=EngineConfig(
            echo=settings.echo,
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,  # type: ignore[arg-type]  # SQLAlchemy takes a float
            # Replaced by `_refuse_closed_connections`, which costs no round trip.
            pool_pre_ping=False,
            connect_args=_connect_args(settings),
        ),
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
    engine = config.get_engine()
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _make_sqlite_behave)
    else:
        event.listen(engine.sync_engine, "checkout", _refuse_closed_connections)
    return config


def _refuse_closed_connections(_: Any, record: ConnectionPoolEntry, __: Any) -> None:
    """Never hand a request a connection that PostgreSQL has closed; the pool opens a new one.

    A server that stops or restarts closes its connections, and asyncpg sees the socket
    close at once, so this check needs no round trip. ``pool_pre_ping`` would cost three
    (BEGIN, a ping, ROLLBACK) on every request. A connection lost without a close (a dead
    network) runs into the timeouts instead, and SQLAlchemy then discards the pool.
    """
    if record.driver_connection is None or record.driver_connection.is_closed():
        raise DisconnectionError


def sqlalchemy_plugin(config: SQLAlchemyAsyncConfig) -> SQLAlchemyPlugin:
    return SQLAlchemyPlugin(config=config)


def _current_revisions(connection: Connection) -> set[str]:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return set(context.get_current_heads())


async def check_schema_is_current(engine: AsyncEngine) -> None:
    """Raise ``SchemaOutOfDateError`` unless the database is at the migrations' head.

    An unreachable database is not an error here: the app starts, answers 503 and
    ``/healthcheck`` says why, and it serves as soon as the database is back.
    """
    expected = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(_current_revisions)
    except (OSError, TimeoutError, OperationalError, InterfaceError) as exc:
        logger.warning("could not check the database schema (%s); starting anyway", exc)
        return
    if current != expected:
        found = ", ".join(sorted(current)) or "none (the database has no tables yet)"
        msg = (
            f"The database schema is not up to date: it is at revision {found}, the code expects "
            f"{', '.join(sorted(expected))}. {UPGRADE_HINT} and start the app again."
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
