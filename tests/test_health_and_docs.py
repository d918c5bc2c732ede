"""``/healthcheck`` really asks the database; ``/docs`` documents the contract."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from blog.app import create_app
from blog.domain.articles.models import Article
from blog.dto import ModelDTO
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


LISTINGS = ("/authors", "/articles", "/authors/{author_id}/articles")


@ONE_BACKEND
async def test_the_headers_handlers_set_are_documented_with_a_schema(client: AsyncTestClient) -> None:
    """OpenAPI 3.1 requires a schema of every header: without one validators and client generators
    refuse the document. Each 201 says where the new resource is; each listing, its paging headers."""
    document = (await client.get("/docs/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for name, header in response.get("headers", {}).items():
                    assert header["schema"] == {"type": "string"}, (method, path, status, name)
                    # An empty feed has no Last-Modified; every other header is always set.
                    assert header["required"] is (name != "Last-Modified" or not path.startswith("/feed")), (
                        method,
                        path,
                        status,
                        name,
                    )
                if status == "201" and not path.startswith("/api/"):
                    assert "Location" in response["headers"], (method, path)
    for path in LISTINGS:
        assert set(document["paths"][path]["get"]["responses"]["200"]["headers"]) == {"X-Total-Count", "Link"}


@ONE_BACKEND
async def test_sort_parameters_are_plain_enums_defaulting_to_the_listings_order(client: AsyncTestClient) -> None:
    """Never nullable: a nullable enum is documented as a union with null, of which a client
    generator makes several enum classes for one parameter (``ListArticlesOrderByType2Type1``...)."""
    document = (await client.get("/docs/openapi.json")).json()
    defaults = {
        LISTINGS[0]: ("id", "asc"),
        LISTINGS[1]: ("published_at", "desc"),
        LISTINGS[2]: ("published_at", "desc"),
    }
    for path, (column, order) in defaults.items():
        schemas = {parameter["name"]: parameter["schema"] for parameter in document["paths"][path]["get"]["parameters"]}
        assert schemas["orderBy"]["type"] == "string", path
        assert schemas["orderBy"]["default"] == column, path
        assert {"id", "created_at", "updated_at", column} <= set(schemas["orderBy"]["enum"]), path
        assert (schemas["sortOrder"]["type"], schemas["sortOrder"]["enum"]) == ("string", ["asc", "desc"]), path
        assert schemas["sortOrder"]["default"] == order, path


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
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in body and not path.startswith("/api/"):  # RealWorld clients send back unknown fields
                assert _component(document, body)["additionalProperties"] is False, (method, path)


COMPONENTS = {
    ("get", "/authors"): (None, "Author"),
    ("post", "/authors"): ("AuthorCreate", "Account"),
    ("get", "/authors/{author_id}"): (None, "Author"),
    ("patch", "/authors/{author_id}"): ("AuthorUpdate", "Account"),
    ("get", "/auth/me"): (None, "Account"),
    ("get", "/articles"): (None, "Article"),
    ("post", "/articles"): ("ArticleCreate", "Article"),
    ("get", "/articles/{article_id}"): (None, "Article"),
    ("patch", "/articles/{article_id}"): ("ArticleUpdate", "Article"),
    ("get", "/authors/{author_id}/articles"): (None, "Article"),
}
"""Each native operation's body and answer (or the answer's items), by component name."""


def _component(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The component ``schema`` refers to (or an array's items do)."""
    reference = schema.get("items", schema)["$ref"]
    return document["components"]["schemas"][reference.removeprefix("#/components/schemas/")]


def _name(schema: dict[str, Any]) -> str:
    return str(schema.get("items", schema)["$ref"]).removeprefix("#/components/schemas/")


@ONE_BACKEND
async def test_one_component_per_dto_whatever_the_operation(client: AsyncTestClient) -> None:
    """Litestar names a DTO's schema per handler unless the DTO names it (``__schema_name__``):
    a generated client would have a class per operation for one article."""
    document = (await client.get("/docs/openapi.json")).json()
    assert not [name for name in document["components"]["schemas"] if name.endswith(("RequestBody", "ResponseBody"))]
    for (method, path), (body, answer) in COMPONENTS.items():
        operation = document["paths"][path][method]
        if body is not None:
            assert _name(operation["requestBody"]["content"]["application/json"]["schema"]) == body, (method, path)
        [success] = [response for status, response in operation["responses"].items() if status.startswith("2")]
        schema = success["content"]["application/json"]["schema"]
        assert _name(schema) == answer, (method, path)
        # Every field of an answer is sent, null or not: a client must not have to expect it missing.
        read = _component(document, schema)
        assert sorted(read["required"]) == sorted(read["properties"]), answer


def test_two_dtos_cannot_share_a_component() -> None:
    """They would share one schema in the document: the first one's."""
    with pytest.raises(TypeError, match="'Article'"):

        class Twin(ModelDTO[Article]):
            __schema_name__ = "Article"
