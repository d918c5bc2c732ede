"""``/authors``: accounts, and every endpoint, status code and error path of the contract."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import (
    ONE_BACKEND,
    PASSWORD,
    assert_problem,
    count_rows,
    create_article,
    sign_up,
)

AUTHOR_FIELDS = {"id", "username", "first_name", "last_name", "bio", "image", "created_at", "updated_at"}
ACCOUNT_FIELDS = AUTHOR_FIELDS | {"email"}


async def test_sign_up_returns_201_with_location_and_the_email(client: AsyncTestClient) -> None:
    body = {"username": "Ada", "email": "ada@example.com", "password": PASSWORD, "first_name": "Ada"}
    response = await client.post("/authors", json=body)

    assert response.status_code == 201, response.text
    author = response.json()
    assert author.keys() == ACCOUNT_FIELDS
    assert response.headers["location"] == f"/authors/{author['id']}"
    assert (author["username"], author["email"], author["first_name"]) == ("Ada", "ada@example.com", "Ada")
    assert (author["last_name"], author["bio"], author["image"]) == (None, None, None)
    created = datetime.fromisoformat(author["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert author["created_at"].endswith("Z")


async def test_the_email_is_shown_to_its_owner_only(client: AsyncTestClient) -> None:
    ada = await sign_up(client, "ada")
    public = (await client.get(f"/authors/{ada.id}")).json()
    assert public.keys() == AUTHOR_FIELDS
    assert all("email" not in row for row in (await client.get("/authors")).json())
    assert (await client.get("/auth/me", headers=ada.headers)).json()["email"] == "ada@example.com"


async def test_signed_up_author_is_committed(client: AsyncTestClient, engine: AsyncEngine) -> None:
    await sign_up(client)
    assert await count_rows(engine, "author") == 1


@pytest.mark.parametrize(
    ("second", "taken"),
    [
        ({"username": "ADA", "email": "other@example.com"}, {"username"}),
        ({"username": "grace", "email": "Ada@Example.COM"}, {"email"}),
        ({"username": "aDa", "email": "ADA@EXAMPLE.COM"}, {"username", "email"}),
    ],
)
async def test_a_username_or_email_taken_whatever_its_case_is_409_naming_it(
    client: AsyncTestClient, engine: AsyncEngine, second: dict[str, str], taken: set[str]
) -> None:
    await sign_up(client, "ada")
    response = await client.post("/authors", json={**second, "password": PASSWORD})
    problem = assert_problem(response, 409)
    assert {param["name"] for param in problem["invalid_params"]} == taken
    assert all(field in problem["detail"] for field in taken)
    assert await count_rows(engine, "author") == 1


async def test_get_one(client: AsyncTestClient) -> None:
    ada = await sign_up(client, first_name="Ada", last_name="Lovelace")
    response = await client.get(f"/authors/{ada.id}")
    assert response.status_code == 200
    assert response.json() == {key: value for key, value in ada.author.items() if key != "email"}


async def test_list_in_id_order(client: AsyncTestClient) -> None:
    first = await sign_up(client, "zed")
    second = await sign_up(client, "abe")
    response = await client.get("/authors")
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [first.id, second.id]


async def test_list_empty(client: AsyncTestClient) -> None:
    response = await client.get("/authors")
    assert response.status_code == 200
    assert response.json() == []


async def test_patch_changes_only_sent_fields_and_moves_updated_at(client: AsyncTestClient) -> None:
    ada = await sign_up(client, first_name="Ada", last_name="Lovelace")
    response = await client.patch(f"/authors/{ada.id}", json={"last_name": "King", "bio": "Poet"}, headers=ada.headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated.keys() == ACCOUNT_FIELDS
    assert (updated["first_name"], updated["last_name"], updated["bio"]) == ("Ada", "King", "Poet")
    assert updated["created_at"] == ada.author["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(ada.author["updated_at"])
    assert (await client.get("/auth/me", headers=ada.headers)).json() == updated


async def test_empty_bio_and_image_are_stored_as_null(client: AsyncTestClient) -> None:
    ada = await sign_up(client, bio="", image="")
    assert (ada.author["bio"], ada.author["image"]) == (None, None)
    body = {"bio": "Poet", "image": "https://example.com/ada.png"}
    assert (await client.patch(f"/authors/{ada.id}", json=body, headers=ada.headers)).status_code == 200
    cleared = await client.patch(f"/authors/{ada.id}", json={"bio": "", "image": None}, headers=ada.headers)
    assert (cleared.json()["bio"], cleared.json()["image"]) == (None, None)


async def test_a_new_password_replaces_the_old_one(client: AsyncTestClient) -> None:
    ada = await sign_up(client)
    response = await client.patch(f"/authors/{ada.id}", json={"password": "a new passphrase"}, headers=ada.headers)
    assert response.status_code == 200
    assert "password" not in response.text
    old = await client.post("/auth/token", json={"username": "ada", "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/auth/token", json={"username": "ada", "password": "a new passphrase"})
    assert new.status_code == 200


async def test_patch_to_a_taken_username_is_409_and_to_ones_own_is_fine(client: AsyncTestClient) -> None:
    ada = await sign_up(client, "ada")
    await sign_up(client, "grace")
    assert_problem(await client.patch(f"/authors/{ada.id}", json={"username": "GRACE"}, headers=ada.headers), 409)
    response = await client.patch(f"/authors/{ada.id}", json={"username": "ADA"}, headers=ada.headers)
    assert response.json()["username"] == "ADA"


async def test_patch_with_empty_body_changes_nothing_but_updated_at(client: AsyncTestClient) -> None:
    ada = await sign_up(client, first_name="Ada")
    response = await client.patch(f"/authors/{ada.id}", json={}, headers=ada.headers)
    assert response.status_code == 200
    assert response.json()["first_name"] == "Ada"


async def test_delete_returns_204_and_removes_the_author_and_articles(
    client: AsyncTestClient, engine: AsyncEngine
) -> None:
    ada = await sign_up(client, "ada")
    grace = await sign_up(client, "grace")
    await create_article(client, ada)
    await create_article(client, ada)
    kept = await create_article(client, grace)

    response = await client.delete(f"/authors/{ada.id}", headers=ada.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"/authors/{ada.id}"), 404, detail="Author does not exist")
    assert await count_rows(engine, "article") == 1
    assert [a["id"] for a in (await client.get("/articles")).json()] == [kept["id"]]
    # Its token is worth nothing now.
    assert_problem(await client.get("/auth/me", headers=ada.headers), 401)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_missing_author_is_404(client: AsyncTestClient, method: str) -> None:
    ada = await sign_up(client)
    kwargs = {"json": {"first_name": "X"}} if method == "PATCH" else {}
    response = await client.request(method, "/authors/4242", headers=ada.headers, **kwargs)
    assert_problem(response, 404, detail="Author does not exist")


async def test_author_articles_newest_first(client: AsyncTestClient) -> None:
    ada = await sign_up(client, "ada")
    grace = await sign_up(client, "grace")
    first = await create_article(client, ada, "first")
    second = await create_article(client, ada, "second")
    await create_article(client, grace, "not theirs")

    response = await client.get(f"/authors/{ada.id}/articles")

    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [second["id"], first["id"]]


async def test_author_articles_of_missing_author_is_404(client: AsyncTestClient) -> None:
    assert_problem(await client.get("/authors/4242/articles"), 404, detail="Author does not exist")


async def test_author_without_articles_has_empty_list(client: AsyncTestClient) -> None:
    ada = await sign_up(client)
    response = await client.get(f"/authors/{ada.id}/articles")
    assert response.status_code == 200
    assert response.json() == []


GOOD = {"username": "ada", "email": "ada@example.com", "password": PASSWORD}


@ONE_BACKEND
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": "ada", "password": PASSWORD}, "email"),
        ({"username": "ada", "email": "a@example.com"}, "password"),
        ({**GOOD, "username": ""}, "username"),
        ({**GOOD, "username": "a" * 41}, "username"),
        ({**GOOD, "username": "ada lovelace"}, "username"),
        ({**GOOD, "username": "ada\n"}, "username"),
        ({**GOOD, "username": "ada@home"}, "username"),
        ({**GOOD, "email": "not-an-address"}, "email"),
        ({**GOOD, "email": "a@b"}, "email"),
        ({**GOOD, "email": "a" * 250 + "@b.co"}, "email"),
        ({**GOOD, "password": "short"}, "password"),
        ({**GOOD, "password": "p" * 257}, "password"),
        ({**GOOD, "password": None}, "password"),
        ({**GOOD, "first_name": ""}, "first_name"),
        ({**GOOD, "first_name": "   "}, "first_name"),
        ({**GOOD, "first_name": "F" * 101}, "first_name"),
        ({**GOOD, "last_name": 5}, "last_name"),
        ({**GOOD, "first_name": "A\u0000da"}, "first_name"),
        ({**GOOD, "bio": "b" * 2001}, "bio"),
        ({**GOOD, "bio": "nul \u0000"}, "bio"),
        ({**GOOD, "image": "not a url"}, "image"),
        ({**GOOD, "image": "ftp://example.com/a.png"}, "image"),
        ({**GOOD, "image": "https://" + "a" * 2048}, "image"),
        ({**GOOD, "id": 7}, "id"),
        ({**GOOD, "password_hash": "x"}, "password_hash"),
        ({**GOOD, "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({**GOOD, "nickname": "x"}, "nickname"),
    ],
)
async def test_sign_up_rejects_invalid_body_and_writes_nothing(
    client: AsyncTestClient, engine: AsyncEngine, body: dict[str, object], field: str
) -> None:
    response = await client.post("/authors", json=body)
    assert_problem(response, 400, field=field)
    assert PASSWORD not in response.text
    assert await count_rows(engine, "author") == 0


async def test_sign_up_accepts_limits(client: AsyncTestClient) -> None:
    body = {"first_name": "F" * 100, "last_name": "é", "bio": "b" * 2000, "image": "https://e.org/" + "i" * 2000}
    ada = await sign_up(client, "a" * 40, password="p" * 256, **body)
    assert ada.author["first_name"] == "F" * 100


@ONE_BACKEND
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"first_name": " \t "}, "first_name"),
        ({"last_name": "L" * 101}, "last_name"),
        ({"first_name": 1}, "first_name"),
        ({"username": None}, "username"),
        ({"email": "nope"}, "email"),
        ({"password": "short"}, "password"),
        ({"id": 9}, "id"),
        ({"updated_at": "2020-01-01T00:00:00Z"}, "updated_at"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_patch_rejects_invalid_body_and_changes_nothing(
    client: AsyncTestClient, body: dict[str, object], field: str
) -> None:
    ada = await sign_up(client)
    assert_problem(await client.patch(f"/authors/{ada.id}", json=body, headers=ada.headers), 400, field=field)
    assert (await client.get("/auth/me", headers=ada.headers)).json() == ada.author


@ONE_BACKEND
@pytest.mark.parametrize("raw", [b"{", b"[]", b"42", b'"x"', b"null", b""])
async def test_malformed_or_non_object_json_is_400(client: AsyncTestClient, engine: AsyncEngine, raw: bytes) -> None:
    response = await client.post("/authors", content=raw, headers={"content-type": "application/json"})
    assert_problem(response, 400)
    assert await count_rows(engine, "author") == 0


@ONE_BACKEND
@pytest.mark.parametrize("author_id", ["0", "-1", "9223372036854775808", "99999999999999999999999"])
async def test_out_of_range_ids_are_400(client: AsyncTestClient, author_id: str) -> None:
    ada = await sign_up(client)
    assert_problem(await client.get(f"/authors/{author_id}"), 400, field="author_id")
    assert_problem(await client.delete(f"/authors/{author_id}", headers=ada.headers), 400, field="author_id")


@ONE_BACKEND
@pytest.mark.parametrize("author_id", ["abc", "1.5", "1e3"])
async def test_non_integer_ids_are_4xx(client: AsyncTestClient, author_id: str) -> None:
    response = await client.get(f"/authors/{author_id}")
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


async def test_largest_id_is_a_plain_404(client: AsyncTestClient) -> None:
    assert_problem(await client.get("/authors/9223372036854775807"), 404, detail="Author does not exist")
