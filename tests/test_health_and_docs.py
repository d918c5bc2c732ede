"""``/healthcheck`` really asks the database; ``/docs`` documents the contract."""

from __future__ import annotations

import json
import time

from litestar.testing import AsyncTestClient

from blog.app import create_app
from blog.settings import AppSettings, DatabaseSettings, Settings
from tests.helpers import ONE_BACKEND

CONTRACT = {
    "/authors": {"get", "post"},
    "/authors/{author_id}": {"get", "patch", "delete"},
    "/authors/{author_id}/articles": {"get"},
    "/articles": {"get", "post"},
    "/articles/{article_id}": {"get", "patch", "delete"},
    "/auth/token": {"post"},
    "/auth/me": {"get"},
    "/healthcheck": {"get"},
    "/feed.atom": {"get"},
    "/feed.rss": {"get"},
    "/feed.json": {"get"},
}


async def test_healthcheck_ok(client: AsyncTestClient) -> None:
    response = await client.get("/healthcheck")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthcheck_503_when_database_unreachable() -> None:
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    settings = Settings(
        app=AppSettings(check_migrations=False),
        database=DatabaseSettings(url="postgresql+asyncpg://postgres@127.0.0.1:1/blog", connect_timeout=2),
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        started = time.monotonic()
        response = await client.get("/healthcheck")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert elapsed < 10, "the health check must not hang"


@ONE_BACKEND
async def test_docs_page_is_scalar(client: AsyncTestClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "scalar" in response.text.lower()


@ONE_BACKEND
async def test_openapi_document_describes_the_contract(client: AsyncTestClient) -> None:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Blog API"
    assert {tag["name"] for tag in document["tags"]} >= {"Authors", "Auth", "Articles", "Health"}
    paths = {path: operations for path, operations in document["paths"].items() if not path.startswith("/api/")}
    assert {path: set(ops) & {"get", "post", "patch", "delete"} for path, ops in paths.items()} == CONTRACT
    for path, operations in paths.items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("description"), where
            assert operation.get("tags"), where
            if path not in {"/healthcheck", "/auth/me"}:
                assert "400" in operation["responses"], where
                for status, documented in operation["responses"].items():
                    if status.startswith("4"):
                        assert "application/problem+json" in documented["content"], (where, status)
    assert "404" in paths["/authors/{author_id}"]["get"]["responses"]
    assert "404" in paths["/articles"]["post"]["responses"]
    assert "201" in paths["/articles"]["post"]["responses"]
    assert "204" in paths["/articles/{article_id}"]["delete"]["responses"]
    assert "503" in paths["/healthcheck"]["get"]["responses"]
    # Publishing (v4): the article's new fields, the status filter, the feeds' media types.
    listing = paths["/articles"]["get"]
    status = next(parameter for parameter in listing["parameters"] if parameter["name"] == "status")
    assert "draft" in str(status["schema"])
    assert "scheduled" in str(status["schema"])
    article = listing["responses"]["200"]["content"]["application/json"]["schema"]
    article = resolve(document, article.get("items", article))
    assert {"status", "published_at", "content_html"} <= set(article["properties"])
    for path, media_type in (
        ("/feed.atom", "application/atom+xml"),
        ("/feed.rss", "application/rss+xml"),
        ("/feed.json", "application/feed+json"),
    ):
        assert list(paths[path]["get"]["responses"]["200"]["content"]) == [media_type]


def resolve(document: dict, schema: dict) -> dict:
    """``schema``, or what its ``$ref`` points to in ``document``."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


REALWORLD_OPERATIONS = {
    "/api/users": {"post"},
    "/api/users/login": {"post"},
    "/api/user": {"get", "put"},
    "/api/profiles/{username}": {"get"},
    "/api/profiles/{username}/follow": {"post", "delete"},
    "/api/articles": {"get", "post"},
    "/api/articles/feed": {"get"},
    "/api/articles/{slug}": {"get", "put", "delete"},
    "/api/articles/{slug}/favorite": {"post", "delete"},
    "/api/articles/{slug}/comments": {"get", "post"},
    "/api/articles/{slug}/comments/{comment_id}": {"delete"},
    "/api/tags": {"get"},
}
"""Every operation of the RealWorld specification, and nothing else, under `/api`."""


@ONE_BACKEND
async def test_openapi_document_describes_the_realworld_api(client: AsyncTestClient) -> None:
    document = (await client.get("/docs/openapi.json")).json()
    paths = {path: operations for path, operations in document["paths"].items() if path.startswith("/api/")}
    methods = {"get", "post", "put", "patch", "delete"}
    assert {path: set(operations) & methods for path, operations in paths.items()} == REALWORLD_OPERATIONS
    for path, operations in paths.items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("description"), where
            assert operation.get("tags"), where
            assert "503" in operation["responses"], where
            for status, documented in operation["responses"].items():
                if status.startswith(("4", "5")):  # RealWorld's {"errors": ...}, not problem details
                    schema = documented["content"]["application/json"]["schema"]
                    assert schema["$ref"].endswith("/Errors"), (where, status)
            if "requestBody" in operation:
                assert "422" in operation["responses"], where
            assert ("security" in operation) == (where not in REALWORLD_PUBLIC), where


REALWORLD_PUBLIC = {
    "POST /api/users",
    "POST /api/users/login",
    "GET /api/profiles/{username}",
    "GET /api/articles",
    "GET /api/articles/{slug}",
    "GET /api/articles/{slug}/comments",
    "GET /api/tags",
}
"""Operations that take no token, or an optional one."""


@ONE_BACKEND
async def test_write_schemas_hold_only_writable_fields(client: AsyncTestClient) -> None:
    document = (await client.get("/docs/openapi.json")).json()
    schemas = document["components"]["schemas"]
    body = document["paths"]["/authors"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    create = schemas[body["$ref"].rsplit("/", 1)[-1]]
    assert set(create["properties"]) == {
        "username",
        "email",
        "password",
        "first_name",
        "last_name",
        "bio",
        "image",
    }
    assert set(create["required"]) == {"username", "email", "password"}
    assert create["properties"]["username"]["maxLength"] == 40
    assert create["additionalProperties"] is False  # unknown fields are a 400, and the schema says so


@ONE_BACKEND
async def test_documented_bounds_and_media_types_are_exact(client: AsyncTestClient) -> None:
    """What a generated client or a fuzzer reads must be what the server enforces."""
    raw = (await client.get("/docs/openapi.json")).text
    document = json.loads(raw)
    # A float 9.223372036854776e18 would be 2**63, an id the server refuses.
    assert "9.223372036854776e" not in raw
    assert raw.count(str(2**63 - 1)) >= 5
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert "" not in response.get("content", {}), (method, path, status)
    for name, schema in document["components"]["schemas"].items():
        if name.endswith("RequestBody"):
            assert schema["additionalProperties"] is False, name
