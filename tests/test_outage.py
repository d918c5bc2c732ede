"""A database outage: quick 503 problems while PostgreSQL is gone, service again when it is back.

The app reaches the test database through ``OutageProxy``, which the test cuts (a stopped
server: connections refused and dropped) or stalls (a dead network: nothing answers), so
the shared PostgreSQL server is never touched.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import sqlalchemy.exc
from litestar.testing import AsyncTestClient
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.app import create_app
from blog.database import COMMAND_TIMEOUT_MARGIN, database
from blog.errors import from_unexpected_error
from blog.settings import DatabaseSettings
from tests.conftest import empty_tables, make_settings
from tests.helpers import PASSWORD, Account, assert_problem, sign_up
from tests.proxy import OutageProxy

TIMEOUT = 1.0
"""connect, pool and statement timeouts of the app under test, in seconds."""
# On a dead network a request may wait out a statement timeout (plus the driver's margin),
# then a connect timeout for the query's cancellation and one for a fresh connection: the
# worst case, and bounded. A stopped server is answered at once (a refused connection).
WORST_CASE = TIMEOUT + COMMAND_TIMEOUT_MARGIN + 2 * TIMEOUT + 1.0
LEAKS = ("Traceback", "asyncpg", "postgresql://", "SELECT", "sqlalchemy", "127.0.0.1")


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[OutageProxy]:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("an outage of the PostgreSQL server")
    proxy = OutageProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.open()
    yield proxy
    proxy.close()


@pytest.fixture
async def client(proxy: OutageProxy, database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    await empty_tables(engine)
    through_proxy = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    app = create_app(
        make_settings(
            through_proxy.render_as_string(hide_password=False),
            pool_size=2,
            max_overflow=0,
            connect_timeout=TIMEOUT,
            pool_timeout=TIMEOUT,
            statement_timeout=TIMEOUT,
        )
    )
    async with AsyncTestClient(app=app) as client:
        yield client
    await empty_tables(engine)


async def _timed(client: AsyncTestClient, method: str, path: str, **kwargs: object) -> tuple[object, float]:
    started = time.perf_counter()
    response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
    return response, time.perf_counter() - started


async def _assert_unavailable(client: AsyncTestClient, author: Account) -> list[float]:
    """Every kind of request gets a bounded, clean 503; returns how long each took."""
    timings = []
    sign_up_body = {"username": "lost", "email": "lost@example.com", "password": PASSWORD}
    requests = [
        ("GET", f"/authors/{author.id}", {}),
        ("GET", "/articles", {}),
        ("GET", f"/authors/{author.id}/articles", {}),
        ("POST", "/authors", {"json": sign_up_body}),
        ("PATCH", f"/authors/{author.id}", {"json": {"first_name": "Lost"}}),
        ("DELETE", f"/authors/{author.id}", {}),
        ("POST", "/articles", {"json": {"title": "Lost", "content": "Write"}}),
        ("POST", "/auth/token", {"json": {"username": "ada", "password": PASSWORD}}),
    ]
    for method, path, kwargs in requests:
        response, took = await _timed(client, method, path, headers=author.headers, **kwargs)
        body = assert_problem(response, 503)
        assert response.headers["retry-after"] == "1"
        assert not any(leak in response.text for leak in LEAKS), body
        assert took < WORST_CASE, (method, path, took)
        timings.append(took)
    health, took = await _timed(client, "GET", "/healthcheck")
    assert health.status_code == 503  # type: ignore[attr-defined]
    assert health.json() == {"status": "unavailable", "database": "unreachable"}  # type: ignore[attr-defined]
    assert took < WORST_CASE
    return timings


async def _recovery(client: AsyncTestClient, author_id: int) -> tuple[float, int]:
    """Seconds until the app serves the author again, with no restart, and the requests that failed."""
    started = time.perf_counter()
    failed = 0
    while (await client.get(f"/authors/{author_id}")).status_code != 200:
        failed += 1
        assert time.perf_counter() - started < 10, "the app did not recover within 10 s"
    return time.perf_counter() - started, failed


@pytest.mark.parametrize("outage", ["down", "stalled"])
async def test_outage_answers_503_and_recovers(client: AsyncTestClient, proxy: OutageProxy, outage: str) -> None:
    author = await sign_up(client)
    assert (await client.get("/healthcheck")).status_code == 200

    proxy.down() if outage == "down" else proxy.stall()
    timings = await _assert_unavailable(client, author)

    proxy.up()
    recovered_in, failed = await _recovery(client, author.id)
    print(f"\n{outage}: 503 in at most {max(timings):.2f} s; served again {recovered_in:.3f} s after the database")
    if outage == "down":
        # The server closed the pooled connections; none of them is handed out again.
        assert failed == 0

    # Nothing was lost or half-written, and writes work again.
    assert (await client.get("/auth/me", headers=author.headers)).json() == author.author
    assert (await client.get("/authors")).headers["x-total-count"] == "1"
    assert (await client.get("/healthcheck")).json() == {"status": "ok", "database": "ok"}
    await sign_up(client, "grace")


async def test_a_statement_over_the_timeout_is_cancelled_and_answered_503(database_url: str) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    engine = database(DatabaseSettings(url=database_url, statement_timeout=0.2)).engine
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SHOW statement_timeout"))).scalar_one() == "200ms"
            started = time.perf_counter()
            with pytest.raises(sqlalchemy.exc.DBAPIError) as cancelled:
                await connection.execute(text("SELECT pg_sleep(5)"))
            assert time.perf_counter() - started < 2
    finally:
        await engine.dispose()
    assert from_unexpected_error(cancelled.value).status_code == 503


async def test_a_restarted_server_costs_no_failed_request(client: AsyncTestClient, proxy: OutageProxy) -> None:
    """Connections the server closed are replaced before use, without a ping per request."""
    author = await sign_up(client)
    for _ in range(3):
        proxy.down()  # every pooled connection is closed by the "server"...
        proxy.up()  # ...which is back at once, before the next request
        response = await client.get(f"/authors/{author.id}")
        assert response.status_code == 200, response.text
