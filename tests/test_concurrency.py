"""Races on PostgreSQL: writes that collide get a correct answer each, and leave consistent data.

Litestar's test client hands each request to the app through a blocking portal, one at a
time; these tests need requests really in flight together, so they drive the app through
httpx's ASGI transport on the test's own event loop (with the app's lifespan run around it).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import assert_problem, sign_up

CREATES = 50


@pytest.fixture(autouse=True)
def _postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")


@asynccontextmanager
async def concurrent_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    # Entered and left in the test's own task: the lifespan's cancel scope requires it.
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def _orphans(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        query = "SELECT count(*) FROM article a LEFT JOIN author u ON u.id = a.author_id WHERE u.id IS NULL"
        return int((await connection.execute(text(query))).scalar_one())


@pytest.mark.parametrize("delete_after", [0, 10, 25, 49])
async def test_creates_racing_the_authors_deletion(app: Litestar, engine: AsyncEngine, delete_after: int) -> None:
    async with concurrent_client(app) as client:
        await _race_creates_against_deletion(client, engine, delete_after)


async def _race_creates_against_deletion(client: httpx.AsyncClient, engine: AsyncEngine, delete_after: int) -> None:
    author = await sign_up(client, "ada")
    bystander = await sign_up(client, "grace")
    body = {"title": "Race", "content": "Who wins?"}

    # All in flight at once; the deletion starts as number ``delete_after``, so it lands
    # among creates in every stage: before their author check, between the check and the
    # INSERT, and after their COMMIT.
    async def create() -> int:
        response = await client.post("/articles", json=body, headers=author.headers)
        if response.status_code != 201:
            assert_problem(response, response.status_code)
        return response.status_code

    async def delete() -> int:
        return (await client.delete(f"/authors/{author.id}", headers=author.headers)).status_code

    creates = [create() for _ in range(CREATES)]
    statuses = await asyncio.gather(*creates[:delete_after], delete(), *creates[delete_after:])

    deletion = statuses[delete_after]
    answers = Counter(statuses[:delete_after] + statuses[delete_after + 1 :])
    assert deletion == 204
    # Once the author is gone, so is their token (401); a create that passed that check meets
    # the foreign key (409).
    assert set(answers) <= {201, 401, 409}, answers
    assert sum(answers.values()) == CREATES
    # The author is gone, and so is every article that was created for them.
    assert (await client.get(f"/authors/{author.id}")).status_code == 404
    assert await _orphans(engine) == 0
    async with engine.connect() as connection:
        left = await connection.execute(text("SELECT count(*) FROM article WHERE author_id = :id"), {"id": author.id})
        assert left.scalar_one() == 0
    # The bystander and the counters are untouched.
    assert (await client.get(f"/authors/{bystander.id}")).status_code == 200
    assert (await client.get("/articles")).headers["x-total-count"] == "0"
    print(f"\ndelete issued after {delete_after} creates: { {int(k): v for k, v in answers.items()} }")


async def test_concurrent_patches_and_deletes_of_one_article(app: Litestar, engine: AsyncEngine) -> None:
    async with concurrent_client(app) as client:
        await _race_patches_against_deletion(client, engine)


async def _race_patches_against_deletion(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    author = await sign_up(client)
    created = await client.post("/articles", json={"title": "T", "content": "C"}, headers=author.headers)
    article_id = created.json()["id"]

    async def patch(n: int) -> int:
        response = await client.patch(f"/articles/{article_id}", json={"title": f"T{n}"}, headers=author.headers)
        if response.status_code == 404:  # deleted before or while it was being updated
            assert_problem(response, 404, detail="Article does not exist")
        return response.status_code

    async def delete() -> int:
        return (await client.delete(f"/articles/{article_id}", headers=author.headers)).status_code

    statuses = await asyncio.gather(*[patch(n) for n in range(20)], delete(), *[patch(n) for n in range(20, 40)])
    assert statuses[20] == 204
    assert set(statuses) <= {200, 204, 404}, Counter(statuses)
    assert await _orphans(engine) == 0
    assert (await client.get(f"/articles/{article_id}")).status_code == 404


@pytest.mark.parametrize("delete_after", [0, 25, 49])
async def test_realworld_comments_racing_the_articles_deletion(
    app: Litestar, engine: AsyncEngine, delete_after: int
) -> None:
    """Comments in flight while the article is deleted: each answer is one the operation
    documents (a comment that passed the article's lookup meets the foreign key: 409), in
    RealWorld's shape, and no comment outlives the article."""
    async with concurrent_client(app) as client:
        author = await sign_up(client, "ada")
        reader = await sign_up(client, "grace")
        created = await client.post(
            "/api/articles",
            json={"article": {"title": "Race", "description": "Who wins?", "body": "A body."}},
            headers=author.headers,
        )
        assert created.status_code == 201, created.text
        slug = created.json()["article"]["slug"]
        documented = (await client.get("/docs/openapi.json")).json()["paths"]["/api/articles/{slug}/comments"]["post"]

        async def comment() -> int:
            body = {"comment": {"body": "First!"}}
            response = await client.post(f"/api/articles/{slug}/comments", json=body, headers=reader.headers)
            assert str(response.status_code) in documented["responses"], (response.status_code, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"errors"}, response.text
            return response.status_code

        async def delete() -> int:
            return (await client.delete(f"/api/articles/{slug}", headers=author.headers)).status_code

        comments = [comment() for _ in range(CREATES)]
        statuses = await asyncio.gather(*comments[:delete_after], delete(), *comments[delete_after:])

    assert statuses[delete_after] == 204
    answers = Counter(statuses[:delete_after] + statuses[delete_after + 1 :])
    assert set(answers) <= {201, 404, 409}, answers
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM comment"))).scalar_one() == 0
    print(f"\ndelete issued after {delete_after} comments: { {int(k): v for k, v in answers.items()} }")
