"""``/articles``: every endpoint, status code and error path of the contract."""

from __future__ import annotations

from datetime import datetime

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import ONE_BACKEND, assert_problem, count_rows, create_article, sign_up

ARTICLE_FIELDS = {
    "id",
    "slug",
    "title",
    "description",
    "content",
    "content_html",
    "status",
    "published_at",
    "tags",
    "author_id",
    "favorites_count",
    "created_at",
    "updated_at",
}


async def test_create_returns_201_with_location_and_the_caller_as_author(
    client: AsyncTestClient, engine: AsyncEngine
) -> None:
    ada = await sign_up(client)
    response = await client.post(
        "/articles", json={"title": "Notes", "content": "Line one.\nLine two."}, headers=ada.headers
    )
    assert response.status_code == 201, response.text
    article = response.json()
    assert article.keys() == ARTICLE_FIELDS
    assert response.headers["location"] == f"/articles/{article['id']}"
    assert article["content"] == "Line one.\nLine two."
    assert article["content_html"] == "<p>Line one.\nLine two.</p>\n"
    assert article["status"] == "published"
    assert article["published_at"] is not None
    assert article["author_id"] == ada.id
    assert await count_rows(engine, "article") == 1


async def test_author_id_may_restate_the_caller(client: AsyncTestClient) -> None:
    ada = await sign_up(client)
    body = {"title": "T", "content": "C", "author_id": ada.id}
    response = await client.post("/articles", json=body, headers=ada.headers)
    assert response.status_code == 201
    assert response.json()["author_id"] == ada.id


@pytest.mark.parametrize(("whose", "status"), [("someone else's", 403), ("nobody's", 404)])
async def test_author_id_of_anyone_else_is_refused_and_writes_nothing(
    client: AsyncTestClient, engine: AsyncEngine, whose: str, status: int
) -> None:
    ada = await sign_up(client, "ada")
    grace = await sign_up(client, "grace")
    author_id = grace.id if whose == "someone else's" else 4242
    response = await client.post(
        "/articles", json={"title": "T", "content": "C", "author_id": author_id}, headers=ada.headers
    )
    assert_problem(response, status)
    assert await count_rows(engine, "article") == 0


async def test_get_one_and_list_newest_first(client: AsyncTestClient) -> None:
    ada = await sign_up(client)
    first = await create_article(client, ada, "first")
    second = await create_article(client, ada, "second")

    assert (await client.get(f"/articles/{first['id']}")).json() == first
    listed = (await client.get("/articles")).json()
    assert [a["id"] for a in listed] == [second["id"], first["id"]]


async def test_patch_title_keeps_the_rest(client: AsyncTestClient) -> None:
    ada = await sign_up(client)
    article = await create_article(client, ada)
    response = await client.patch(f"/articles/{article['id']}", json={"title": "New title"}, headers=ada.headers)
    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "New title"
    assert (updated["content"], updated["author_id"]) == (article["content"], article["author_id"])
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(article["updated_at"])


async def test_patch_may_restate_the_author_and_no_one_else(client: AsyncTestClient) -> None:
    ada = await sign_up(client, "ada")
    grace = await sign_up(client, "grace")
    article = await create_article(client, ada)
    same = await client.patch(f"/articles/{article['id']}", json={"author_id": ada.id}, headers=ada.headers)
    assert same.status_code == 200
    path = f"/articles/{article['id']}"
    assert_problem(await client.patch(path, json={"author_id": grace.id, "title": "X"}, headers=ada.headers), 403)
    assert_problem(await client.patch(path, json={"author_id": 4242, "title": "X"}, headers=ada.headers), 404)
    assert (await client.get(path)).json()["title"] == article["title"]


async def test_only_the_author_may_change_or_delete(client: AsyncTestClient) -> None:
    ada = await sign_up(client, "ada")
    grace = await sign_up(client, "grace")
    article = await create_article(client, ada)
    path = f"/articles/{article['id']}"
    assert_problem(await client.patch(path, json={"title": "Mine now"}, headers=grace.headers), 403)
    assert_problem(await client.delete(path, headers=grace.headers), 403)
    assert (await client.get(path)).json() == article


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_missing_article_is_404(client: AsyncTestClient, method: str) -> None:
    ada = await sign_up(client)
    kwargs = {"json": {"title": "X"}} if method == "PATCH" else {}
    response = await client.request(method, "/articles/4242", headers=ada.headers, **kwargs)
    assert_problem(response, 404, detail="Article does not exist")


async def test_delete_returns_204(client: AsyncTestClient, engine: AsyncEngine) -> None:
    ada = await sign_up(client)
    article = await create_article(client, ada)
    response = await client.delete(f"/articles/{article['id']}", headers=ada.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert await count_rows(engine, "article") == 0
    assert await count_rows(engine, "author") == 1


@ONE_BACKEND
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "C"}, "title"),
        ({"title": "T"}, "content"),
        ({"title": " ", "content": "C"}, "title"),
        ({"title": "T" * 201, "content": "C"}, "title"),
        ({"title": "T", "content": "\n\t "}, "content"),
        ({"title": "T", "content": "C" * 100_001}, "content"),
        ({"title": "T", "content": "nul \u0000 byte"}, "content"),
        ({"title": "T", "content": "C", "author_id": "1"}, "author_id"),
        ({"title": "T", "content": "C", "author_id": 0}, "author_id"),
        ({"title": "T", "content": "C", "author_id": -5}, "author_id"),
        ({"title": "T", "content": "C", "author_id": 2**63}, "author_id"),
        ({"title": "T", "content": "C", "author_id": 1.5}, "author_id"),
        ({"title": "T", "content": "C", "author_id": None}, "author_id"),
        ({"title": "T", "content": "C", "id": 3}, "id"),
        ({"title": "T", "content": "C", "author": {}}, "author"),
    ],
)
async def test_create_rejects_invalid_body(
    client: AsyncTestClient, engine: AsyncEngine, body: dict[str, object], field: str
) -> None:
    ada = await sign_up(client)
    assert_problem(await client.post("/articles", json=body, headers=ada.headers), 400, field=field)
    assert await count_rows(engine, "article") == 0


async def test_create_accepts_longest_content(client: AsyncTestClient) -> None:
    ada = await sign_up(client)
    article = await create_article(client, ada, "T" * 200, "C" * 100_000)
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
    ada = await sign_up(client)
    article = await create_article(client, ada)
    assert_problem(await client.patch(f"/articles/{article['id']}", json=body, headers=ada.headers), 400, field=field)
    assert (await client.get(f"/articles/{article['id']}")).json() == article
