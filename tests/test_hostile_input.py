"""Hostile input: every malformed, oversized or malicious request is a 4xx problem and writes nothing.

The per-field rules have their own tests (test_authors, test_articles); this module throws
the whole catalogue at every write operation, with and without ``--debug``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import ONE_BACKEND, PASSWORD, Account, assert_problem, count_rows, create_article, sign_up

pytestmark = ONE_BACKEND

BIG = 2**63  # one past PostgreSQL's bigint

# (raw body, what is wrong). Sent to every write operation as application/json.
BAD_BODIES: list[tuple[bytes, str]] = [
    (b"{", "malformed JSON"),
    (b'{"title": "T",}', "trailing comma"),
    (b"[]", "an array"),
    (b'[{"title": "T"}]', "an array of objects"),
    (b"42", "a number"),
    (b'"text"', "a string"),
    (b"null", "null"),
    (b"true", "a boolean"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"a": ' * 200 + b"1" + b"}" * 200, "deeply nested"),
]

# Bad values per writable field; each must be a 400 naming that field.
BAD_VALUES: list[Any] = [
    "",
    "   ",
    "\t\n",
    "a\u0000b",
    "\u0000",
    "a\u0007b",
    "a\u001bb",
    5,
    1.5,
    True,
    None,
    [],
    {},
    ["a"],
]
BAD_AUTHOR_IDS: list[Any] = [0, -1, BIG, -BIG, 10**30, 1e300, 0.0, "1", "one", 1.5, True, None, [], {}]

pytestmark = ONE_BACKEND


SIGN_UP = {"username": "grace", "email": "grace@example.com", "password": PASSWORD}


def _authors_bodies() -> list[tuple[dict[str, Any], str]]:
    good = {**SIGN_UP, "first_name": "Ada", "last_name": "Lovelace"}
    not_null = [value for value in BAD_VALUES if value is not None]  # names may be null
    cases = [({**good, name: value}, name) for name in ("first_name", "last_name") for value in [*not_null, "x" * 101]]
    cases += [({**good, "username": value}, "username") for value in [*BAD_VALUES, "a b", "x" * 41, "ad@"]]
    cases += [({**good, "email": value}, "email") for value in [*BAD_VALUES, "a@b", "a@b.c\n", "x" * 250 + "@b.co"]]
    cases += [({**good, "password": value}, "password") for value in [*BAD_VALUES, "seven!!", "p" * 257]]
    cases += [({**good, "bio": value}, "bio") for value in [5, True, [], {}, "a\u0000b", "b" * 2001]]
    cases += [({**good, "image": value}, "image") for value in [5, "   ", "/relative.png", "javascript:alert(1)"]]
    cases += [({**good, "id": 1}, "id"), ({**good, "updated_at": "2020-01-01T00:00:00Z"}, "updated_at")]
    cases += [({**good, "articles": []}, "articles"), ({**good, "__proto__": {}}, "__proto__")]
    cases += [({**good, "password_hash": "x"}, "password_hash")]
    return cases


def _articles_bodies(author_id: int) -> list[tuple[dict[str, Any], str]]:
    good = {"title": "T", "content": "C", "author_id": author_id}
    cases = [({**good, "title": value}, "title") for value in [*BAD_VALUES, "x" * 201]]
    cases += [({**good, "content": value}, "content") for value in BAD_VALUES if value != "\t\n"]
    cases += [({**good, "author_id": value}, "author_id") for value in BAD_AUTHOR_IDS]
    cases += [({**good, "id": 1}, "id"), ({**good, "created_at": None}, "created_at"), ({**good, "x": 1}, "x")]
    return cases


async def _snapshot(client: AsyncTestClient, engine: AsyncEngine, account: Account) -> tuple[int, int, Any, Any, Any]:
    authors = (await client.get("/authors", params={"pageSize": 100})).json()
    articles = (await client.get("/articles", params={"pageSize": 100})).json()
    me = (await client.get("/auth/me", headers=account.headers)).json()
    return await count_rows(engine, "author"), await count_rows(engine, "article"), authors, articles, me


@pytest.mark.parametrize("debug", [False, True])
async def test_bad_bodies_are_400_and_write_nothing(client: AsyncTestClient, engine: AsyncEngine) -> None:
    author = await sign_up(client)
    article = await create_article(client, author)
    before = await _snapshot(client, engine, author)
    targets = [
        ("POST", "/authors", _authors_bodies()),
        ("PATCH", f"/authors/{author.id}", _authors_bodies()),
        ("POST", "/articles", _articles_bodies(author.id)),
        ("PATCH", f"/articles/{article['id']}", _articles_bodies(author.id)),
    ]
    tried = 0
    for method, path, cases in targets:
        for raw, _what in BAD_BODIES:
            headers = {"content-type": "application/json", **author.headers}
            response = await client.request(method, path, content=raw, headers=headers)
            assert_problem(response, 400)
            tried += 1
        for body, field in cases:
            response = await client.request(method, path, json=body, headers=author.headers)
            assert response.status_code == 400, (method, path, body, response.text)
            assert_problem(response, 400, field=field)
            assert PASSWORD not in response.text
            tried += 1
    assert tried > 250  # the catalogue really ran
    assert await _snapshot(client, engine, author) == before


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", None],
)
async def test_a_body_that_is_not_json_is_415(
    client: AsyncTestClient, engine: AsyncEngine, content_type: str | None
) -> None:
    body = json.dumps(SIGN_UP).encode()
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/authors", content=body, headers=headers)
    if content_type is None:
        # httpx sends no Content-Type for raw bytes: that is not JSON either.
        assert "content-type" not in response.request.headers
    assert_problem(response, 415)
    assert "application/json" in response.json()["detail"]
    assert await count_rows(engine, "author") == 0


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]
)
async def test_json_media_types_are_accepted(client: AsyncTestClient, content_type: str) -> None:
    body = json.dumps(SIGN_UP).encode()
    response = await client.post("/authors", content=body, headers={"content-type": content_type})
    assert response.status_code == 201, response.text


async def test_a_body_over_one_mebibyte_is_413(client: AsyncTestClient, engine: AsyncEngine) -> None:
    author = await sign_up(client)
    headers = {"content-type": "application/json", **author.headers}
    huge = json.dumps({"title": "T", "content": "x" * (1024 * 1024)})
    assert_problem(await client.post("/articles", content=huge, headers=headers), 413)
    assert await count_rows(engine, "article") == 0
    # Just under the limit is read (and then refused for the content's own limit).
    near = json.dumps({"title": "T", "content": "x" * (1024 * 1024 - 100)})
    assert_problem(await client.post("/articles", content=near, headers=headers), 400)


@pytest.mark.parametrize(
    "query",
    [
        {"pageSize": "0"},
        {"pageSize": "101"},
        {"pageSize": "x"},
        {"currentPage": "0"},
        {"currentPage": "-1"},
        {"currentPage": str(BIG)},
        {"orderBy": "content"},
        {"orderBy": "id; DROP TABLE author"},
        {"sortOrder": "sideways"},
        {"searchString": ""},
        {"searchString": "a\u0000b"},
        {"searchString": "x" * 201},
        {"searchIgnoreCase": "maybe"},
        {"createdBefore": "yesterday"},
        {"createdBefore": "0.5"},  # a number is not taken as Unix time
        {"updatedAfter": "1700000000"},
        {"updatedAfter": "2026-13-01T00:00:00Z"},
        {"ids": "0"},
        {"ids": str(BIG)},
        {"ids": "abc"},
        {"author_id": "0"},
        {"author_id": "-5"},
        {"author_id": str(BIG)},
        {"author_id": "1.5"},
    ],
)
async def test_bad_query_parameters_are_400_naming_them(client: AsyncTestClient, query: dict[str, str]) -> None:
    (name,) = query
    assert_problem(await client.get("/articles", params=query), 400, field=name)


@pytest.mark.parametrize("path", ["/authors/0", "/articles/-1", f"/articles/{BIG}", f"/authors/{BIG}/articles"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_out_of_range_path_ids_are_400(client: AsyncTestClient, path: str, method: str) -> None:
    if path.endswith("/articles") and method != "GET":
        pytest.skip("GET only")
    headers = {} if method == "GET" else (await sign_up(client)).headers  # a write without a token is a 401 first
    response = await client.request(method, path, json={} if method == "PATCH" else None, headers=headers)
    assert_problem(response, 400)


async def test_integral_number_is_an_integer(client: AsyncTestClient) -> None:
    """JSON Schema counts `7.0` as an integer, so the API takes it as one."""
    author = await sign_up(client)
    body = {"title": "T", "content": "C", "author_id": float(author.id)}
    response = await client.post("/articles", json=body, headers=author.headers)
    assert response.status_code == 201, response.text
    assert response.json()["author_id"] == author.id
    assert isinstance(response.json()["author_id"], int)


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/authors", "GET, OPTIONS, POST"),
        ("/authors/1", "DELETE, GET, OPTIONS, PATCH"),
        ("/authors/1/articles", "GET, OPTIONS"),
        ("/articles", "GET, OPTIONS, POST"),
        ("/articles/1", "DELETE, GET, OPTIONS, PATCH"),
    ],
)
async def test_options_lists_every_method(client: AsyncTestClient, path: str, allow: str) -> None:
    response = await client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == allow


async def test_unsupported_method_is_405_problem(client: AsyncTestClient) -> None:
    response = await client.put("/authors/1", json={"first_name": "A", "last_name": "B"})
    assert_problem(response, 405)
    assert "allow" in response.headers


@pytest.mark.parametrize(
    ("method", "path", "body", "named"),
    [
        ("POST", "/authors", {**SIGN_UP, "first_name": 5, "last_name": 6}, {"first_name", "last_name"}),
        ("POST", "/authors", {"nickname": "x"}, {"nickname", "username", "email", "password"}),
        (
            "POST",
            "/authors",
            {"username": "a b", "email": "no", "password": "short"},
            {"username", "email", "password"},
        ),
        (
            "PATCH",
            "/authors/{author}",
            {"first_name": "", "last_name": 7, "id": 3, "password": 12345678},
            {"first_name", "last_name", "id", "password"},
        ),
        (
            "POST",
            "/articles",
            {"title": " ", "content": 7, "author_id": 0, "x": 1},
            {"title", "content", "author_id", "x"},
        ),
        ("PATCH", "/articles/{article}", {"title": "T" * 201, "author_id": "1"}, {"title", "author_id"}),
    ],
)
async def test_every_invalid_field_is_named_in_one_answer(
    client: AsyncTestClient, engine: AsyncEngine, method: str, path: str, body: dict[str, Any], named: set[str]
) -> None:
    author = await sign_up(client)
    article = await create_article(client, author)
    before = await _snapshot(client, engine, author)
    path = path.format(author=author.id, article=article["id"])
    response = await client.request(method, path, json=body, headers=author.headers)
    problem = assert_problem(response, 400)
    assert {param["name"] for param in problem["invalid_params"]} == named, problem
    assert all(param["source"] == "body" for param in problem["invalid_params"])
    assert await _snapshot(client, engine, author) == before


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/authors", {"pageSize": "0", "currentPage": "x", "orderBy": "title", "ids": "abc", "searchString": ""}),
        ("/articles", {"pageSize": "101", "sortOrder": "up", "createdAfter": "soon", "author_id": "0"}),
        ("/authors/1/articles", {"pageSize": "-1", "orderBy": "last_name", "updatedBefore": "1700000000"}),
    ],
)
async def test_every_invalid_query_parameter_is_named_in_one_answer(
    client: AsyncTestClient, path: str, query: dict[str, str]
) -> None:
    problem = assert_problem(await client.get(path, params=query), 400)
    assert {param["name"] for param in problem["invalid_params"]} == set(query), problem
    assert all(param["source"] == "query" for param in problem["invalid_params"]), problem
