"""Validation messages say what is wrong and what is allowed, in both APIs' shapes.

A pattern is no explanation to a client: each one carries its rule in words
(``blog.fields.ruled``), and an enum's error lists its values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from blog.fields import PATTERN_RULES
from tests.helpers import ONE_BACKEND, assert_problem, sign_up

pytestmark = ONE_BACKEND

USERNAME_RULE = "may contain only letters (a-z, A-Z), digits, '_', '-' and '.' (1 to 40 characters)"
EMAIL_RULE = "must be an e-mail address like name@example.com (at most 254 characters)"


def reasons(response: Any, status: int = 400) -> dict[str, str]:
    """A problem's reasons, by the field or parameter they are about."""
    body = assert_problem(response, status)
    found = {param["name"]: param["reason"] for param in body["invalid_params"]}
    assert body["detail"] == "Invalid input: " + "; ".join(f"{name}: {reason}" for name, reason in found.items())
    return found


def patterns(node: Any, where: str = "$") -> Iterator[tuple[str, str]]:
    """Every ``pattern`` in an OpenAPI document, with where it is."""
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield where, node["pattern"]
        for key, value in node.items():
            yield from patterns(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from patterns(value, f"{where}[{index}]")


async def test_every_pattern_has_its_rule_in_words(client: AsyncTestClient) -> None:
    document = (await client.get("/docs/openapi.json")).json()
    found = dict(patterns(document))
    assert len(found) > 20  # the walk reached the bodies and the parameters
    unruled = {where: pattern for where, pattern in found.items() if pattern not in PATTERN_RULES}
    assert not unruled, "give each pattern its rule with blog.fields.ruled()"
    for rule in PATTERN_RULES.values():
        # Each rule follows the field's name ("email must be ...") and names no regex.
        assert re.match(r"(must|may) ", rule), rule
        assert not {"\\", "[", "^"} & set(rule), rule


async def test_native_errors_give_the_rule(client: AsyncTestClient) -> None:
    response = await client.post("/authors", json={"username": "a b", "email": "notanemail", "password": "x" * 8})
    assert reasons(response) == {"username": USERNAME_RULE, "email": EMAIL_RULE}

    ada = await sign_up(client, "ada")
    response = await client.patch(
        f"/authors/{ada.id}",
        json={"first_name": "Ada\nLovelace", "image": "ftp://example.com/ada.png", "bio": "\x07"},
        headers=ada.headers,
    )
    assert reasons(response) == {
        "first_name": "must be 1 to 100 characters, not only spaces, without line breaks or other control characters",
        "image": "must be an absolute http(s) URL without spaces, like https://example.com/me.png, or empty",
        "bio": "must not contain control characters other than tabs and line breaks",
    }
    article = {"title": "Notes", "content": "On the engine.", "tags": ["ok", " "], "status": "public"}
    response = await client.post("/articles", json=article, headers=ada.headers)
    assert reasons(response) == {
        "tags": "must be 1 to 40 characters, not only spaces, without line breaks or other control characters"
        " - at `$[1]`",
        "status": "must be one of: draft, published",
    }


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/articles", "id, published_at, created_at, updated_at, title"),
        ("/authors", "id, created_at, updated_at, last_name"),
        ("/authors/1/articles", "id, published_at, created_at, updated_at, title"),
    ],
)
async def test_enum_parameters_list_their_values(client: AsyncTestClient, path: str, allowed: str) -> None:
    response = await client.get(path, params={"orderBy": "password", "sortOrder": "up"})
    assert reasons(response) == {"orderBy": f"must be one of: {allowed}", "sortOrder": "must be one of: asc, desc"}


async def test_query_parameters_give_the_rule(client: AsyncTestClient) -> None:
    response = await client.get("/articles", params={"status": "mine", "createdAfter": "yesterday", "tag": "a\x01"})
    assert reasons(response) == {
        "createdAfter": "must be an ISO 8601 date-time, e.g. `2025-01-31T12:00:00Z`",
        "tag": "must not contain control characters",
        "status": "must be one of: draft, scheduled",
    }


async def test_login_gives_the_rule(client: AsyncTestClient) -> None:
    response = await client.post("/auth/token", data={"username": "ada\n", "password": "x", "grant_type": "code"})
    assert reasons(response) == {
        "username": "must not contain line breaks or other control characters",
        "grant_type": "must be one of: password",
    }


async def test_realworld_errors_give_the_rule(client: AsyncTestClient) -> None:
    response = await client.post(
        "/api/users", json={"user": {"username": "a b", "email": "notanemail", "password": "x" * 8}}
    )
    assert response.status_code == 422, response.text
    assert response.json() == {"errors": {"username": [USERNAME_RULE], "email": [EMAIL_RULE]}}

    response = await client.get("/api/articles", params={"tag": "a\x01", "author": "ja\x01ke"})
    assert response.status_code == 422, response.text
    assert response.json() == {
        "errors": {"tag": ["must not contain control characters"], "author": ["must not contain control characters"]}
    }


async def test_a_missing_body_is_named_as_such(client: AsyncTestClient) -> None:
    response = await client.post("/authors", content=b"", headers={"content-type": "application/json"})
    assert reasons(response) == {"body": "must be a JSON object, and the request has none"}
