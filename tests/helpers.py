"""Small helpers shared by the API tests."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

PROBLEM_JSON = "application/problem+json"

ONE_BACKEND = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
"""For tests of what the app refuses before it reaches the database: run once, on PostgreSQL
(the stricter: it is where a NUL or an out-of-range id would fail), not once per backend."""


async def create_author(
    client: AsyncTestClient, first_name: str = "Ada", last_name: str = "Lovelace"
) -> dict[str, Any]:
    response = await client.post("/authors", json={"first_name": first_name, "last_name": last_name})
    assert response.status_code == 201, response.text
    return response.json()


async def create_article(
    client: AsyncTestClient, author_id: int, title: str = "Notes", content: str = "On the engine."
) -> dict[str, Any]:
    response = await client.post("/articles", json={"title": title, "content": content, "author_id": author_id})
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(
    response: Any, status: int, *, field: str | None = None, detail: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status`` (naming ``field``, saying ``detail``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    if field is not None:
        assert field in {param["name"] for param in body["invalid_params"]}, body
    if detail is not None:
        assert body["detail"] == detail
    return body


async def count_rows(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
