"""``/authors``: every endpoint, status code and error path of the contract."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import ONE_BACKEND, assert_problem, count_rows, create_article, create_author

AUTHOR_FIELDS = {"id", "first_name", "last_name", "created_at", "updated_at"}


async def test_create_returns_201_with_location_and_server_fields(client: AsyncTestClient) -> None:
    response = await client.post("/authors", json={"first_name": "Ada", "last_name": "Lovelace"})

    assert response.status_code == 201
    author = response.json()
    assert author.keys() == AUTHOR_FIELDS
    assert response.headers["location"] == f"/authors/{author['id']}"
    assert (author["first_name"], author["last_name"]) == ("Ada", "Lovelace")
    created = datetime.fromisoformat(author["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert author["created_at"].endswith("Z")


async def test_created_author_is_committed(client: AsyncTestClient, engine: AsyncEngine) -> None:
    await create_author(client)
    assert await count_rows(engine, "author") == 1


async def test_get_one(client: AsyncTestClient) -> None:
    author = await create_author(client)
    response = await client.get(f"/authors/{author['id']}")
    assert response.status_code == 200
    assert response.json() == author


async def test_list_in_id_order(client: AsyncTestClient) -> None:
    first = await create_author(client, "B", "B")
    second = await create_author(client, "A", "A")
    response = await client.get("/authors")
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [first["id"], second["id"]]


async def test_list_empty(client: AsyncTestClient) -> None:
    response = await client.get("/authors")
    assert response.status_code == 200
    assert response.json() == []


async def test_patch_changes_only_sent_fields_and_moves_updated_at(client: AsyncTestClient) -> None:
    author = await create_author(client)
    response = await client.patch(f"/authors/{author['id']}", json={"last_name": "King"})
    assert response.status_code == 200
    updated = response.json()
    assert updated["first_name"] == "Ada"
    assert updated["last_name"] == "King"
    assert updated["created_at"] == author["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(author["updated_at"])
    assert (await client.get(f"/authors/{author['id']}")).json() == updated


async def test_patch_with_empty_body_changes_nothing_but_updated_at(client: AsyncTestClient) -> None:
    author = await create_author(client)
    response = await client.patch(f"/authors/{author['id']}", json={})
    assert response.status_code == 200
    assert response.json()["first_name"] == author["first_name"]


async def test_delete_returns_204_and_removes_the_author_and_articles(
    client: AsyncTestClient, engine: AsyncEngine
) -> None:
    author = await create_author(client)
    other = await create_author(client, "Grace", "Hopper")
    await create_article(client, author["id"])
    await create_article(client, author["id"])
    kept = await create_article(client, other["id"])

    response = await client.delete(f"/authors/{author['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"/authors/{author['id']}"), 404, detail="Author does not exist")
    assert await count_rows(engine, "article") == 1
    assert [a["id"] for a in (await client.get("/articles")).json()] == [kept["id"]]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_missing_author_is_404(client: AsyncTestClient, method: str) -> None:
    kwargs = {"json": {"first_name": "X"}} if method == "PATCH" else {}
    response = await client.request(method, "/authors/4242", **kwargs)
    assert_problem(response, 404, detail="Author does not exist")


async def test_author_articles_newest_first(client: AsyncTestClient) -> None:
    author = await create_author(client)
    other = await create_author(client, "Grace", "Hopper")
    first = await create_article(client, author["id"], "first")
    second = await create_article(client, author["id"], "second")
    await create_article(client, other["id"], "not theirs")

    response = await client.get(f"/authors/{author['id']}/articles")

    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [second["id"], first["id"]]


async def test_author_articles_of_missing_author_is_404(client: AsyncTestClient) -> None:
    assert_problem(await client.get("/authors/4242/articles"), 404, detail="Author does not exist")


async def test_author_without_articles_has_empty_list(client: AsyncTestClient) -> None:
    author = await create_author(client)
    response = await client.get(f"/authors/{author['id']}/articles")
    assert response.status_code == 200
    assert response.json() == []


@ONE_BACKEND
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"last_name": "L"}, "first_name"),
        ({"first_name": "F"}, "last_name"),
        ({"first_name": "", "last_name": "L"}, "first_name"),
        ({"first_name": "   ", "last_name": "L"}, "first_name"),
        ({"first_name": "F" * 101, "last_name": "L"}, "first_name"),
        ({"first_name": "F", "last_name": 5}, "last_name"),
        ({"first_name": "F", "last_name": None}, "last_name"),
        ({"first_name": "A\u0000da", "last_name": "L"}, "first_name"),
        ({"first_name": "Ada\n", "last_name": "L"}, "first_name"),
        ({"first_name": "F", "last_name": "L", "id": 7}, "id"),
        ({"first_name": "F", "last_name": "L", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"first_name": "F", "last_name": "L", "nickname": "x"}, "nickname"),
    ],
)
async def test_create_rejects_invalid_body_and_writes_nothing(
    client: AsyncTestClient, engine: AsyncEngine, body: dict[str, object], field: str
) -> None:
    assert_problem(await client.post("/authors", json=body), 400, field=field)
    assert await count_rows(engine, "author") == 0


async def test_create_accepts_limits(client: AsyncTestClient) -> None:
    author = await create_author(client, "F" * 100, "é")
    assert author["first_name"] == "F" * 100


@ONE_BACKEND
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"first_name": " \t "}, "first_name"),
        ({"last_name": "L" * 101}, "last_name"),
        ({"first_name": 1}, "first_name"),
        ({"first_name": None}, "first_name"),
        ({"id": 9}, "id"),
        ({"updated_at": "2020-01-01T00:00:00Z"}, "updated_at"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_patch_rejects_invalid_body_and_changes_nothing(
    client: AsyncTestClient, body: dict[str, object], field: str
) -> None:
    author = await create_author(client)
    assert_problem(await client.patch(f"/authors/{author['id']}", json=body), 400, field=field)
    assert (await client.get(f"/authors/{author['id']}")).json() == author


@ONE_BACKEND
@pytest.mark.parametrize("raw", [b"{", b"[]", b"42", b'"x"', b"null", b""])
async def test_malformed_or_non_object_json_is_400(client: AsyncTestClient, engine: AsyncEngine, raw: bytes) -> None:
    response = await client.post("/authors", content=raw, headers={"content-type": "application/json"})
    assert_problem(response, 400)
    assert await count_rows(engine, "author") == 0


@ONE_BACKEND
@pytest.mark.parametrize("author_id", ["0", "-1", "9223372036854775808", "99999999999999999999999"])
async def test_out_of_range_ids_are_400(client: AsyncTestClient, author_id: str) -> None:
    assert_problem(await client.get(f"/authors/{author_id}"), 400, field="author_id")
    assert_problem(await client.delete(f"/authors/{author_id}"), 400, field="author_id")


@ONE_BACKEND
@pytest.mark.parametrize("author_id", ["abc", "1.5", "1e3"])
async def test_non_integer_ids_are_4xx(client: AsyncTestClient, author_id: str) -> None:
    response = await client.get(f"/authors/{author_id}")
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


async def test_largest_id_is_a_plain_404(client: AsyncTestClient) -> None:
    assert_problem(await client.get("/authors/9223372036854775807"), 404, detail="Author does not exist")
