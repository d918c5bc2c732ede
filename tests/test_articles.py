"""``/articles``: every endpoint, status code and error path of the contract."""

from __future__ import annotations

from datetime import datetime

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import ONE_BACKEND, assert_problem, count_rows, create_article, create_author

ARTICLE_FIELDS = {"id", "title", "content", "author_id", "created_at", "updated_at"}


async def test_create_returns_201_with_location(client: AsyncTestClient, engine: AsyncEngine) -> None:
    author = await create_author(client)
    response = await client.post(
        "/articles", json={"title": "Notes", "content": "Line one.\nLine two.", "author_id": author["id"]}
    )
    assert response.status_code == 201
    article = response.json()
    assert article.keys() == ARTICLE_FIELDS
    assert response.headers["location"] == f"/articles/{article['id']}"
    assert article["content"] == "Line one.\nLine two."
    assert await count_rows(engine, "article") == 1


async def test_create_for_missing_author_is_404_and_writes_nothing(
    client: AsyncTestClient, engine: AsyncEngine
) -> None:
    response = await client.post("/articles", json={"title": "T", "content": "C", "author_id": 4242})
    assert_problem(response, 404, detail="Author does not exist")
    assert await count_rows(engine, "article") == 0


async def test_get_one_and_list_newest_first(client: AsyncTestClient) -> None:
    author = await create_author(client)
    first = await create_article(client, author["id"], "first")
    second = await create_article(client, author["id"], "second")

    assert (await client.get(f"/articles/{first['id']}")).json() == first
    listed = (await client.get("/articles")).json()
    assert [a["id"] for a in listed] == [second["id"], first["id"]]


async def test_patch_title_keeps_the_rest(client: AsyncTestClient) -> None:
    author = await create_author(client)
    article = await create_article(client, author["id"])
    response = await client.patch(f"/articles/{article['id']}", json={"title": "New title"})
    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "New title"
    assert (updated["content"], updated["author_id"]) == (article["content"], article["author_id"])
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(article["updated_at"])


async def test_patch_moves_article_to_another_author(client: AsyncTestClient) -> None:
    author = await create_author(client)
    other = await create_author(client, "Grace", "Hopper")
    article = await create_article(client, author["id"])
    response = await client.patch(f"/articles/{article['id']}", json={"author_id": other["id"]})
    assert response.status_code == 200
    assert response.json()["author_id"] == other["id"]
    assert (await client.get(f"/authors/{author['id']}/articles")).json() == []


async def test_patch_to_missing_author_is_404_and_changes_nothing(client: AsyncTestClient) -> None:
    author = await create_author(client)
    article = await create_article(client, author["id"])
    response = await client.patch(f"/articles/{article['id']}", json={"author_id": 4242, "title": "X"})
    assert_problem(response, 404, detail="Author does not exist")
    assert (await client.get(f"/articles/{article['id']}")).json() == article


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_missing_article_is_404(client: AsyncTestClient, method: str) -> None:
    kwargs = {"json": {"title": "X"}} if method == "PATCH" else {}
    response = await client.request(method, "/articles/4242", **kwargs)
    assert_problem(response, 404, detail="Article does not exist")


async def test_delete_returns_204(client: AsyncTestClient, engine: AsyncEngine) -> None:
    author = await create_author(client)
    article = await create_article(client, author["id"])
    response = await client.delete(f"/articles/{article['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert await count_rows(engine, "article") == 0
    assert await count_rows(engine, "author") == 1


@ONE_BACKEND
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "C", "author_id": 1}, "title"),
        ({"title": "T", "author_id": 1}, "content"),
        ({"title": "T", "content": "C"}, "author_id"),
        ({"title": " ", "content": "C", "author_id": 1}, "title"),
        ({"title": "T" * 201, "content": "C", "author_id": 1}, "title"),
        ({"title": "T", "content": "\n\t ", "author_id": 1}, "content"),
        ({"title": "T", "content": "C" * 100_001, "author_id": 1}, "content"),
        ({"title": "T", "content": "nul \u0000 byte", "author_id": 1}, "content"),
        ({"title": "T", "content": "C", "author_id": "1"}, "author_id"),
        ({"title": "T", "content": "C", "author_id": 0}, "author_id"),
        ({"title": "T", "content": "C", "author_id": -5}, "author_id"),
        ({"title": "T", "content": "C", "author_id": 2**63}, "author_id"),
        ({"title": "T", "content": "C", "author_id": 1.5}, "author_id"),
        ({"title": "T", "content": "C", "author_id": 1, "id": 3}, "id"),
        ({"title": "T", "content": "C", "author_id": 1, "author": {}}, "author"),
    ],
)
async def test_create_rejects_invalid_body(
    client: AsyncTestClient, engine: AsyncEngine, body: dict[str, object], field: str
) -> None:
    await create_author(client)
    assert_problem(await client.post("/articles", json=body), 400, field=field)
    assert await count_rows(engine, "article") == 0


async def test_create_accepts_longest_content(client: AsyncTestClient) -> None:
    author = await create_author(client)
    article = await create_article(client, author["id"], "T" * 200, "C" * 100_000)
    assert len(article["content"]) == 100_000


@ONE_BACKEND
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"content": "x" * 100_001}, "content"),
        ({"author_id": 0}, "author_id"),
        ({"author_id": None}, "author_id"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
async def test_patch_rejects_invalid_body(client: AsyncTestClient, body: dict[str, object], field: str) -> None:
    author = await create_author(client)
    article = await create_article(client, author["id"])
    assert_problem(await client.patch(f"/articles/{article['id']}", json=body), 400, field=field)
    assert (await client.get(f"/articles/{article['id']}")).json() == article
