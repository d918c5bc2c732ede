"""Throttled logins (issue 11, point 6): failed attempts per account and per client address.

``auth.login_attempts`` failed logins a minute for one login, or from one client address,
then 429 with ``Retry-After``; the counts live in a Litestar store, in this process's memory
or in Redis (``cache.redis_url``), where every worker shares them. The tests of the rules run
on both stores, once (``ONE_BACKEND``: the database backend plays no part); the last ones
point the app at a Redis that is down, and serve it in two uvicorn processes sharing one.

Redis comes from ``TEST_REDIS_URL`` or ``redis://127.0.0.1:6379/15`` (a database nothing else
here uses). Without a reachable server the Redis tests are skipped with the reason, except
under ``CI=true`` (``.ci/run`` starts Redis), where they fail. The logins and client addresses
are drawn afresh for each run, so that runs sharing that Redis do not meet; each test deletes
the keys it made, so that the next can use the same accounts.

Litestar's test client always calls from the address ``testclient`` (and runs the app in a
thread of its own). The tests that need several client addresses run the app on the test's
event loop (``Litestar.lifespan()``) and call it through ``httpx.ASGITransport``, which sends
the client address it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import msgspec
import pytest
import redis
import redis.exceptions
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.testing import AsyncTestClient, TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import asgi_server
from blog.app import create_app
from blog.domain.auth.services import WINDOW_SECONDS
from blog.settings import CacheSettings, Settings
from tests.conftest import empty_tables, make_settings
from tests.helpers import ONE_BACKEND, PASSWORD, TEST_SECRET, assert_problem, free_port, sign_up

LIMIT = 2
"""``auth.login_attempts`` of every app here (the default is 10). The rule is the same, and
each failure below the limit costs a password check: Argon2, about 0.1 s of CPU."""
WRONG = "not the password"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
NAMESPACE = "blog:logins"
"""The Redis key prefix of ``shared_store(settings.cache, "logins")`` in ``blog.app``."""
TEST_CLIENT_ADDRESS = "testclient"
"""The client host of every request Litestar's test client makes."""
PRODUCTION_APP = "blog.asgi:production_app"
"""What the production command serves (``uvicorn --factory``)."""

pytestmark = ONE_BACKEND


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis, or a skip (a failure under ``CI=true``) if it cannot be reached."""
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    with contextlib.closing(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)) as server:
        try:
            server.ping()
        except (redis.exceptions.RedisError, OSError) as exc:
            reason = f"Redis at {url!r} is not reachable: {type(exc).__name__}: {exc}"
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI must run the Redis tests, but {reason}")
            pytest.skip(f"SKIPPING REDIS TESTS: {reason} (start redis-server, or set TEST_REDIS_URL)")
    return url


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> CacheSettings:
    """Where the counts are kept: this process's memory, or the test Redis."""
    if request.param == "memory":
        return CacheSettings()
    return CacheSettings(redis_url=request.getfixturevalue("redis_url"))


def throttled_settings(database_url: str, cache: CacheSettings) -> Settings:
    """The tests' settings, with ``LIMIT`` attempts and the counts in ``cache``'s store.

    The start-up check of the migrations is left out: the database is migrated, and the check
    costs every app a fresh Alembic environment.
    """
    settings = make_settings(database_url)
    app = msgspec.structs.replace(settings.app, check_migrations=False)
    auth = msgspec.structs.replace(settings.auth, login_attempts=LIMIT)
    return msgspec.structs.replace(settings, app=app, auth=auth, cache=cache)


def unique(base: str) -> str:
    """A login no other run uses: ``ada`` -> ``ada_1f2e3d4c``."""
    return f"{base}_{uuid.uuid4().hex[:8]}"


def addresses(count: int, prefix: str = "198.18") -> list[str]:
    """``count`` distinct IPv4 addresses under ``prefix`` (two octets), drawn at random."""
    return [f"{prefix}.{number // 254}.{number % 254 + 1}" for number in random.sample(range(254 * 254), count)]


def asgi_client(app: Litestar, address: str) -> httpx.AsyncClient:
    """A client of ``app`` on this event loop, calling from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture(scope="module")
async def accounts(database_url: str, engine: AsyncEngine) -> AsyncIterator[tuple[str, str]]:
    """Two accounts (``ada_…``, ``bob_…``) for every test here, signed up once: each sign-up
    hashes a password. Their rows are deleted after the last test."""
    await empty_tables(engine)
    usernames = (unique("ada"), unique("bob"))
    app = create_app(throttled_settings(database_url, CacheSettings()))
    async with app.lifespan(), asgi_client(app, "192.0.2.1") as client:
        await asyncio.gather(*(sign_up(client, username) for username in usernames))
    yield usernames
    await empty_tables(engine)


class Logins:
    """The app under test, logins to it from any address, and the store keys they make."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.store = app.stores.get("logins")

    async def login(self, address: str, username: str, password: str = PASSWORD) -> httpx.Response:
        """``POST /auth/token`` from ``address``."""
        async with asgi_client(self.app, address) as client:
            return await client.post("/auth/token", json={"username": username, "password": password})

    async def fail(self, *attempts: tuple[str, str]) -> None:
        """Failed logins, each ``(address, username)``, at once: every one is a 401.

        At once or one by one is all the same to the counts (the throttle counts one attempt
        at a time), provided that none of them finds a count full.
        """
        responses = await asyncio.gather(*(self.login(address, username, WRONG) for address, username in attempts))
        for response in responses:
            assert_failed(response)


@contextlib.asynccontextmanager
async def throttled_app(database_url: str, cache: CacheSettings) -> AsyncIterator[Logins]:
    """A fresh app counting in ``cache``'s store (its own Redis database); the counts are deleted afterwards.

    Not a fixture: the app's lifespan must end in the task it began in (anyio's task group),
    and pytest-asyncio sets a fixture up and tears it down in different tasks.
    """
    app = create_app(throttled_settings(database_url, cache))
    async with app.lifespan():
        logins = Logins(app)
        try:
            yield logins
        finally:
            await logins.store.delete_all()


def assert_failed(response: httpx.Response) -> None:
    assert_problem(response, 401)


def assert_throttled(response: httpx.Response) -> int:
    """A 429 problem with a whole number of seconds to wait, within the minute; returns it."""
    body = assert_problem(response, 429)
    retry_after = response.headers.get("retry-after", "")
    assert retry_after.isdigit(), response.headers
    assert 1 <= int(retry_after) <= WINDOW_SECONDS, retry_after
    assert retry_after in body["detail"], body
    return int(retry_after)


def assert_logged_in(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


async def test_an_account_is_refused_after_the_limit_from_anywhere_even_with_the_right_password(
    database_url: str, cache: CacheSettings, accounts: tuple[str, str]
) -> None:
    ada, bob = accounts
    async with throttled_app(database_url, cache) as logins:
        places = addresses(LIMIT + 1)
        # The account's failures, each from an address of its own: no address reaches the limit.
        await logins.fail(*((address, ada) for address in places[:LIMIT]))

        # The next attempt is refused before its password is checked, from anywhere.
        assert_throttled(await logins.login(places[LIMIT], ada))
        assert_throttled(await logins.login(places[0], ada))
        # Another account from the same client is still served, until that address's own limit.
        first = places[0]
        assert_logged_in(await logins.login(first, bob))
        await logins.fail(*[(first, bob)] * (LIMIT - 1))
        assert_throttled(await logins.login(first, bob))


async def test_failures_spread_over_accounts_from_one_address_reach_its_limit(
    database_url: str, cache: CacheSettings, accounts: tuple[str, str]
) -> None:
    ada, bob = accounts
    async with throttled_app(database_url, cache) as logins:
        address, other = addresses(2)
        # A failure for each account, and for logins no account has, all from one address.
        spread = [ada, bob, *(unique("nobody") for _ in range(LIMIT - 2))][:LIMIT]
        await logins.fail(*((address, login) for login in spread))

        # The right password of an account below its own limit: refused from there, served elsewhere.
        assert_throttled(await logins.login(address, ada))
        assert_logged_in(await logins.login(other, ada))


async def test_a_success_restarts_the_accounts_count_not_the_addresss(
    database_url: str, cache: CacheSettings, accounts: tuple[str, str]
) -> None:
    ada, _ = accounts
    async with throttled_app(database_url, cache) as logins:
        first, second = addresses(2)
        await logins.fail(*[(first, ada)] * (LIMIT - 1))
        assert_logged_in(await logins.login(first, ada))

        # The account starts afresh: the whole limit of failures again (from another address,
        # which has a count of its own), then 429.
        await logins.fail(*[(second, ada)] * LIMIT)
        assert_throttled(await logins.login(second, ada))
        # The success is not counted against its address, nor does it forgive the failures
        # before it: one more failure from there (for any login) reaches the limit.
        await logins.fail((first, unique("nobody")))
        assert_throttled(await logins.login(first, unique("nobody")))


async def test_an_account_is_counted_whatever_its_case_and_by_its_email_address_too(
    database_url: str, cache: CacheSettings, accounts: tuple[str, str]
) -> None:
    """The count is the account's: ``Ada``, ``ada`` and ``ada@example.com`` are one account."""
    ada, _ = accounts
    email = f"{ada}@example.com"
    async with throttled_app(database_url, cache) as logins:
        places = addresses(LIMIT + 2)
        spellings = [ada.upper(), email.title(), ada][:LIMIT]
        await logins.fail(*zip(places[:LIMIT], spellings, strict=True))
        assert_throttled(await logins.login(places[LIMIT], ada.swapcase()))
        assert_throttled(await logins.login(places[LIMIT + 1], email))  # the right password, too late


async def test_attempts_at_the_same_moment_do_not_all_slip_under_the_limit(
    database_url: str, cache: CacheSettings
) -> None:
    """Counted before its password is checked, one at a time: exactly the limit gets through."""
    async with throttled_app(database_url, cache) as logins:
        login = unique("nobody")
        responses = await asyncio.gather(*(logins.login(address, login, WRONG) for address in addresses(LIMIT + 2)))
        assert Counter(response.status_code for response in responses) == {401: LIMIT, 429: 2}
        for response in responses:
            if response.status_code == 429:
                assert_throttled(response)


async def test_the_counts_are_kept_in_the_configured_store(database_url: str, cache: CacheSettings) -> None:
    """In memory, or in the Redis server itself, where every process reads them, for a minute."""
    async with throttled_app(database_url, cache) as logins:
        nobody, address = unique("nobody"), addresses(1)[0]
        assert isinstance(logins.store, RedisStore if cache.redis_url else MemoryStore)

        assert_failed(await logins.login(address, nobody.upper(), WRONG))

        # An unknown login is counted as such; the count, and the end of its minute.
        counted = await logins.store.get(f"account:login:{nobody}")
        assert counted is not None
        assert counted.split()[0] == b"1"
        assert (await logins.store.get(f"address:{address}") or b"").split()[0] == b"1"
        if cache.redis_url:
            with contextlib.closing(redis.Redis.from_url(cache.redis_url)) as server:
                assert server.get(f"{NAMESPACE}:account:login:{nobody}") == counted
                assert 0 < server.ttl(f"{NAMESPACE}:account:login:{nobody}") <= WINDOW_SECONDS


def test_litestars_test_client_is_one_address(database_url: str) -> None:
    """Every request of Litestar's test client comes from ``testclient``: failures add up across logins."""
    with TestClient(app=create_app(throttled_settings(database_url, CacheSettings()))) as client:
        for _ in range(LIMIT):
            assert_failed(client.post("/auth/token", json={"username": unique("nobody"), "password": WRONG}))
        assert_throttled(client.post("/auth/token", json={"username": unique("nobody"), "password": WRONG}))
        # The app runs in the test client's thread: its store is read there.
        store = client.app.stores.get("logins")
        counted = client.blocking_portal.call(store.get, f"address:{TEST_CLIENT_ADDRESS}")
        assert counted.split()[0] == str(LIMIT).encode()


async def test_an_unreachable_redis_is_a_503_not_a_500(database_url: str) -> None:
    app = create_app(throttled_settings(database_url, CacheSettings(redis_url=UNREACHABLE_REDIS)))
    async with AsyncTestClient(app=app) as client:
        response = await client.post("/auth/token", json={"username": unique("nobody"), "password": PASSWORD})
    assert_problem(response, 503)
    assert response.headers.get("retry-after", "").isdigit(), response.headers


def test_two_app_processes_share_the_limit_through_redis(
    database_url: str, redis_url: str, accounts: tuple[str, str]
) -> None:
    """Failures alternate between two uvicorn processes; the next attempt is 429 on either.

    The clients call from addresses of their own on the loopback network (127.0.0.0/8).
    """
    ada, bob = accounts
    first, second = addresses(2, prefix="127.77")
    env = {
        "DATABASE_URL": database_url,
        "CACHE_REDIS_URL": redis_url,
        "AUTH_SECRET": TEST_SECRET,
        "AUTH_LOGIN_ATTEMPTS": str(LIMIT),
    }
    ports = [free_port(), free_port()]
    while ports[1] == ports[0]:
        ports[1] = free_port()

    def login(address: str, port: int, username: str, password: str = PASSWORD) -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(transport=transport, base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            form = {"grant_type": "password", "username": username, "password": password}
            return client.post("/auth/token", data=form)  # a form, as OAuth 2.0 clients send it

    with contextlib.ExitStack() as servers:
        servers.callback(forget, redis_url)
        # Started side by side: each takes a second or so to import the app.
        with ThreadPoolExecutor() as pool:
            started = [asgi_server(PRODUCTION_APP, port, env, factory=True) for port in ports]
            list(pool.map(servers.enter_context, started))
        for attempt in range(LIMIT):
            assert_failed(login(first, ports[attempt % 2], ada, WRONG))

        for port in ports:
            assert_throttled(login(first, port, ada))  # the account, and the address, are full
            assert_throttled(login(second, port, ada))  # the account is full
        assert_throttled(login(first, ports[1], bob))  # the address is full
        token = login(second, ports[1], bob)
        assert_logged_in(token)
        # One secret: a token from one process is good on the other.
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert httpx.get(f"http://127.0.0.1:{ports[0]}/auth/me", headers=headers).status_code == 200


def forget(redis_url: str) -> None:
    """Delete the throttle's counts from Redis (the tests' own database there)."""
    with contextlib.closing(redis.Redis.from_url(redis_url)) as server:
        if keys := server.keys(f"{NAMESPACE}:*"):
            server.delete(*keys)
