"""Fixtures: one throwaway database per backend per run, built by the migrations.

Every API test runs twice, on PostgreSQL (asyncpg) and on the SQLite default. PostgreSQL
comes from ``TEST_DATABASE_URL`` (any database on the server; the tests create their own
next to it) or ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``. Without a
reachable server the PostgreSQL tests are skipped with the reason, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from blog import postgres, security
from blog.app import create_app
from blog.database import alembic_config
from blog.settings import AppSettings, AuthSettings, DatabaseSettings, Settings
from tests.helpers import TEST_SECRET

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"

# The tests' own apps hash passwords with Argon2id at its lowest cost: hundreds of sign-ups would
# otherwise spend a minute in the hash. The parameters are what differs, not the code path; the
# servers the tests start in subprocesses use the production ones (tests/test_serving.py checks).
security.passwords = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
BACKENDS = ["postgresql", "sqlite"]


def migrate(url: str, revision: str = "head") -> None:
    """``alembic upgrade`` against ``url`` (synchronous: alembic runs its own event loop)."""
    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    command.upgrade(config, revision)


def postgres_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)


async def _postgres_unreachable_reason() -> str | None:
    try:
        connection = await asyncpg.connect(postgres.asyncpg_dsn(postgres_admin_url()), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {make_url(postgres_admin_url())!r} is not reachable: {exc!r}"
    await connection.close()
    return None


async def create_postgres_database() -> str:
    """A new, empty database on the test server; returns its SQLAlchemy URL."""
    reason = await _postgres_unreachable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests, but {reason}")
        pytest.skip(f"SKIPPING POSTGRESQL TESTS: {reason} (set TEST_DATABASE_URL)")
    return await postgres.create_database(postgres_admin_url(), f"blog_test_{uuid.uuid4().hex[:12]}")


async def drop_postgres_database(url: str) -> None:
    await postgres.drop_database(postgres_admin_url(), str(make_url(url).database))


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A migrated database of each backend, shared by the session's tests."""
    if request.param == "sqlite":
        path = Path(tmp_path_factory.mktemp("sqlite")) / "blog.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(migrate, url)
        yield url
        return
    url = await create_postgres_database()
    try:
        await asyncio.to_thread(migrate, url)
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine for the tests' own look at the database (not the app's)."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    yield engine
    await engine.dispose()


DATA_TABLES = ("comment", "favorite", "follow", "article_tag", "article", "tag", "author", "row_count")
"""Every table a test writes to, those that refer to others first; ``row_count`` last, since
deleting the others' rows adds to it (its sum is then 0, as it is for empty tables)."""
RESTART_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
    "FROM pg_sequences WHERE schemaname = current_schema()"
)


async def empty_tables(engine: AsyncEngine) -> None:
    """Every table emptied, and ids starting again from 1.

    ``DELETE`` rather than PostgreSQL's ``TRUNCATE``: on tables this small it takes 3 ms, where
    ``TRUNCATE`` (new files for each table and index) took 27 ms, twice per test.
    """
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # A connection the app failed to release would block the deletes forever: fail instead.
            await connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        # On SQLite this connection does not enforce foreign keys (the app's do): no cascade,
        # hence the order.
        for table in DATA_TABLES:
            await connection.execute(text(f"DELETE FROM {table}"))
        if engine.dialect.name == "postgresql":
            await connection.execute(text(RESTART_SEQUENCES))
        else:
            # Ids start again from 1 (author is AUTOINCREMENT).
            await connection.execute(text("DELETE FROM sqlite_sequence"))


def make_settings(database_url: str, *, debug: bool = False, **database: Any) -> Settings:
    # No bound on waiting for a turn (blog.overload): the tests fire bursts of requests on a
    # machine that may be busy, and test other things; tests/test_overload.py tests the bound.
    return Settings(
        app=AppSettings(debug=debug, queue_timeout=0),
        database=DatabaseSettings(url=database_url, **database),
        auth=AuthSettings(secret=TEST_SECRET),
    )


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine sends to its database while the test runs."""
    executed: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        executed.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield executed
    event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
def debug() -> bool:
    """Override (or parametrize) to run a test's app in debug mode."""
    return False


@pytest.fixture(scope="session")
def apps() -> dict[tuple[str, bool], Litestar]:
    """The apps the tests share, one per database and debug mode: building one takes ~0.15 s
    (Litestar generates each handler's DTO code), and hundreds of tests use one."""
    return {}


@pytest.fixture
async def app(
    database_url: str, engine: AsyncEngine, debug: bool, apps: dict[tuple[str, bool], Litestar]
) -> AsyncIterator[Litestar]:
    """The app, on empty tables and with no failed login counted; tables are emptied again afterwards.

    Each test starts and stops it (its lifespan) through its own client.
    """
    await empty_tables(engine)
    app = apps.get((database_url, debug))
    if app is None:
        app = apps[database_url, debug] = create_app(make_settings(database_url, debug=debug))
    await app.stores.get("logins").delete_all()
    yield app
    await empty_tables(engine)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as client:
        yield client


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the Schemathesis run now if it is to run here: it then takes no time of its own."""
    if not hasattr(session.config, "workerinput"):  # under pytest-xdist, the controller starts it
        _start_fuzzing(session.config, [item.nodeid for item in session.items])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """Under pytest-xdist: the controller starts the run as soon as a worker has collected it."""
    _start_fuzzing(node.config, ids)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Under pytest-xdist: tell each worker where the run writes its verdict."""
    from tests.test_schema_fuzz import FUZZ_DIRECTORY

    node.workerinput[FUZZ_DIRECTORY] = str(_fuzz_directory(node.config))


def _fuzz_directory(config: pytest.Config) -> Path:
    from tests.test_schema_fuzz import FUZZ_DIRECTORY_KEY

    if FUZZ_DIRECTORY_KEY not in config.stash:
        config.stash[FUZZ_DIRECTORY_KEY] = Path(tempfile.mkdtemp(prefix="blog-fuzz-"))
    return config.stash[FUZZ_DIRECTORY_KEY]


def _start_fuzzing(config: pytest.Config, ids: list[str]) -> None:
    from tests.test_schema_fuzz import FUZZ_RUN, FuzzRun, finished, record_outcome

    directory = _fuzz_directory(config)
    if FUZZ_RUN in config.stash or finished(directory):
        return
    if not any(nodeid.startswith("tests/test_schema_fuzz.py") for nodeid in ids):
        return
    try:
        config.stash[FUZZ_RUN] = FuzzRun(directory)
    except pytest.skip.Exception as skip:  # no PostgreSQL: the test skips, saying so
        record_outcome(directory, "skip", str(skip))
    except (pytest.fail.Exception, Exception) as failure:  # noqa: BLE001 - the test fails, saying why
        record_outcome(directory, "fail", f"Schemathesis could not start: {failure!r}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the early Schemathesis run (it is done, unless the session was interrupted)."""
    from tests.test_schema_fuzz import FUZZ_DIRECTORY_KEY, FUZZ_RUN

    if (run := session.config.stash.get(FUZZ_RUN, None)) is not None:
        run.close()
    if (directory := session.config.stash.get(FUZZ_DIRECTORY_KEY, None)) is not None:
        shutil.rmtree(directory, ignore_errors=True)
