"""Faults in the database answer 503, never 500 or 409, on every path; nothing acknowledged is lost.

Two faults, made by another session on the real server, as an operator or a crash would:
a table locked past ``statement_timeout`` (every statement on it is cancelled), and the
app's connections terminated under load (every statement on them fails). A 409 is only
for a real constraint conflict, and a 2xx only for a committed write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from blog import postgres
from blog.app import create_app
from tests.conftest import empty_tables, make_settings
from tests.helpers import PASSWORD, assert_problem, create_article, sign_up
from tests.test_concurrency import concurrent_client

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def fault_app(database_url: str, **database: object) -> Litestar:
    return create_app(make_settings(database_url, **database))


@contextlib.asynccontextmanager
async def locked(database_url: str, table: str) -> AsyncIterator[None]:
    """Another session holds ``table`` in ACCESS EXCLUSIVE mode: nobody else may even read it."""
    holder = await asyncpg.connect(postgres.asyncpg_dsn(database_url))
    try:
        async with holder.transaction():
            await holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await holder.close()


@pytest.fixture
async def timeout_client(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient[Litestar]]:
    await empty_tables(engine)
    async with AsyncTestClient(app=fault_app(database_url, statement_timeout=0.3)) as client:
        yield client
    await empty_tables(engine)


async def test_a_locked_table_is_503_on_every_path(
    timeout_client: AsyncTestClient[Litestar], database_url: str, engine: AsyncEngine
) -> None:
    client = timeout_client
    author = await sign_up(client)
    article = await create_article(client, author)
    sign_up_body = {"username": "lost", "email": "lost@example.com", "password": PASSWORD}
    requests = {
        "author": [
            ("GET", f"/authors/{author.id}", None),  # a read by id
            ("GET", "/authors", None),  # a page and its count
            ("GET", f"/authors/{author.id}/articles", None),  # an existence check, then a page
            ("POST", "/authors", sign_up_body),  # a write
            ("PATCH", f"/authors/{author.id}", {"first_name": "Lost"}),
            ("DELETE", f"/authors/{author.id}", None),
            ("POST", "/articles", {"title": "T", "content": "C"}),  # the caller, loaded from the token
            ("GET", "/auth/me", None),
            ("POST", "/auth/token", {"username": "ada", "password": PASSWORD}),  # a login
        ],
        "article": [
            ("GET", f"/articles/{article['id']}", None),
            ("GET", "/articles", {"author_id": author.id}),
            ("GET", f"/authors/{author.id}/articles", None),
            ("POST", "/articles", {"title": "T", "content": "C"}),
            ("PATCH", f"/articles/{article['id']}", {"title": "Lost"}),
            ("DELETE", f"/articles/{article['id']}", None),
        ],
    }
    for table, attempts in requests.items():
        async with locked(database_url, table):
            for method, path, body in attempts:
                if method == "GET":
                    response = await client.get(path, params=body, headers=author.headers)
                else:
                    response = await client.request(method, path, json=body, headers=author.headers)
                assert_problem(response, 503)
                assert response.headers["retry-after"] == "1", (method, path)
    # Nothing was written, and everything works again.
    assert (await client.get("/auth/me", headers=author.headers)).json() == author.author
    assert (await client.get(f"/articles/{article['id']}")).json() == article
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM author"))).scalar_one() == 1
        assert (await connection.execute(text("SELECT count(*) FROM article"))).scalar_one() == 1


async def test_a_real_conflict_is_still_409(timeout_client: AsyncTestClient[Litestar], engine: AsyncEngine) -> None:
    """The foreign key, violated: the only kind of 409 there is."""
    author = await sign_up(client := timeout_client)
    async with engine.begin() as connection:
        # The author check passes in the app's transaction, then the row is gone at INSERT time.
        await connection.execute(
            text(
                "CREATE FUNCTION vanish() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN DELETE FROM author WHERE id = NEW.author_id; RETURN NEW; END $$"
            )
        )
        await connection.execute(
            text("CREATE TRIGGER vanish BEFORE INSERT ON article FOR EACH ROW EXECUTE FUNCTION vanish()")
        )
    try:
        response = await client.post("/articles", json={"title": "T", "content": "C"}, headers=author.headers)
        assert_problem(response, 409)
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DROP TRIGGER vanish ON article"))
            await connection.execute(text("DROP FUNCTION vanish()"))


TERMINATE_OTHERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""


async def test_connections_terminated_under_load_give_only_2xx_and_503(database_url: str, engine: AsyncEngine) -> None:
    """Readers and writers run while another session terminates the app's connections every
    half second: every answer is a 2xx or a 503, and every acknowledged write is there."""
    await empty_tables(engine)
    statuses: Counter[int] = Counter()
    created: list[int] = []
    stop = asyncio.Event()
    app = fault_app(database_url, pool_size=8)
    async with concurrent_client(app) as client:
        seed = await sign_up(client)
        article = await create_article(client, seed)

        async def reader(number: int) -> None:
            paths = [f"/articles/{article['id']}", "/articles", f"/authors/{seed.id}/articles", "/authors"]
            while not stop.is_set():
                response = await client.get(paths[number % len(paths)])
                statuses[response.status_code] += 1

        async def writer(number: int) -> None:
            while not stop.is_set():
                body = {"title": f"W{number}", "content": "Written under fire."}
                response = await client.post("/articles", json=body, headers=seed.headers)
                statuses[response.status_code] += 1
                if response.status_code == 201:
                    created.append(response.json()["id"])

        async def terminator() -> int:
            terminated = 0
            killer = await asyncpg.connect(postgres.asyncpg_dsn(database_url))
            try:
                for _ in range(16):
                    await asyncio.sleep(0.5)
                    terminated += await killer.fetchval(TERMINATE_OTHERS)
            finally:
                stop.set()
                await killer.close()
            return terminated

        workers = [reader(n) for n in range(12)] + [writer(n) for n in range(4)]
        terminated, *_ = await asyncio.gather(terminator(), *workers)

    print(f"\n{terminated} connections terminated; answers: {dict(statuses)}")
    assert terminated > 0
    assert set(statuses) <= {200, 201, 503}, statuses
    assert statuses[200]
    assert statuses[201]
    async with engine.connect() as connection:
        stored = set((await connection.execute(text("SELECT id FROM article"))).scalars())
    assert set(created) <= stored, "an acknowledged write was lost"
    await empty_tables(engine)


async def test_a_locked_table_is_503_under_api_too(
    timeout_client: AsyncTestClient[Litestar], database_url: str, engine: AsyncEngine
) -> None:
    """The RealWorld API answers the same 503, in its own shape."""
    client = timeout_client
    author = await sign_up(client)
    token = {"Authorization": f"Token {author.token}"}
    slug = (await create_article(client, author))["slug"]
    write = {"article": {"title": "T", "description": "D", "body": "B"}}
    requests = {
        "author": [
            ("GET", "/api/user", None),
            ("POST", "/api/users", {"user": {"username": "lost", "email": "lost@example.com", "password": PASSWORD}}),
            ("POST", "/api/users/login", {"user": {"email": "ada@example.com", "password": PASSWORD}}),
            ("GET", "/api/profiles/ada", None),
            ("POST", "/api/profiles/ada/follow", None),
        ],
        "article": [
            ("GET", "/api/articles", None),
            ("GET", "/api/articles/feed", None),
            ("GET", f"/api/articles/{slug}", None),
            ("POST", "/api/articles", write),
            ("PUT", f"/api/articles/{slug}", write),
            ("DELETE", f"/api/articles/{slug}", None),
            ("POST", f"/api/articles/{slug}/favorite", None),
            ("GET", f"/api/articles/{slug}/comments", None),
            ("POST", f"/api/articles/{slug}/comments", {"comment": {"body": "B"}}),
        ],
        "tag": [("GET", "/api/tags", None)],
    }
    for table, attempts in requests.items():
        async with locked(database_url, table):
            for method, path, body in attempts:
                response = await client.request(method, path, json=body, headers=token)
                assert response.status_code == 503, (method, path, response.text)
                assert list(response.json()["errors"]) == ["request"], (method, path)
                assert response.headers["retry-after"] == "1", (method, path)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM article"))).scalar_one() == 1
