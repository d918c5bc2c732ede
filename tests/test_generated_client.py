"""The OpenAPI document is valid, and a Python client generated from it works against the app.

The app is the production command on SQLite (``tests.helpers.served``); the document is the
one it serves at ``/docs/openapi.json``, RealWorld's operations included. openapi-spec-validator
checks it against OpenAPI 3.1, and openapi-python-client (both pinned in the dev extras)
generates a client from it, failing on any warning; the test imports that client and uses it
as a client author would: sign up, log in, write an article with tags, read it, list it,
every answer parsed into the generated models. Generating takes about a second, the file
about three.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from tests.conftest import migrate
from tests.helpers import PASSWORD, TEST_SECRET, served

PACKAGE = "blog_api_client"
"""The generated package's name: openapi-python-client's for a document titled "Blog API"."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The production command on a migrated SQLite database of its own; its base URL."""
    directory = tmp_path_factory.mktemp("generated-client")
    url = f"sqlite+aiosqlite:///{directory / 'blog.sqlite3'}"
    migrate(url)
    with served({"DATABASE_URL": url, "AUTH_SECRET": TEST_SECRET}, log=directory / "server.log") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def document(server: str) -> dict[str, Any]:
    response = httpx.get(f"{server}/docs/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises, naming the offending part, if it is not


def request_bodies(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each operation's request body schemas, with where they are."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method.upper()} {path} ({media_type})", content["schema"]


def test_every_write_shows_an_example_valid_for_its_schema(document: dict[str, Any]) -> None:
    """The API reference shows it as the body to send; Schemathesis sends it (tests/test_schema_fuzz.py).

    RealWorld's bodies are left to RealWorld's own documentation (docs/api-reference.md says why).
    """
    components = document["components"]["schemas"]
    bodies = [(where, schema) for where, schema in request_bodies(document) if " /api/" not in where]
    assert len(bodies) == 5  # sign-up, log in, an account's and an article's writes
    for where, schema in bodies:
        described = components[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema
        examples = schema.get("examples") or described.get("examples")
        assert examples, where
        validator = OAS31Validator({**schema, "components": document["components"]})  # to resolve its $refs
        for example in examples:
            validator.validate(example)


def generate(document: dict[str, Any], directory: Path) -> None:
    """openapi-python-client's client for ``document``, as the package ``PACKAGE`` in ``directory``."""
    source = directory / "openapi.json"
    source.write_text(json.dumps(document))
    config = directory / "openapi-python-client.yaml"
    # post_hooks: it would format the code with ruff, not what is tested. The XML feeds are
    # documents of their own media types, which it does not know: bytes to a client.
    config.write_text(
        "post_hooks: []\ncontent_type_overrides:\n"
        "  application/atom+xml: application/octet-stream\n  application/rss+xml: application/octet-stream\n"
    )
    command = [str(Path(sys.executable).with_name("openapi-python-client")), "generate", f"--path={source}"]
    command += [f"--output-path={directory / PACKAGE}", "--meta=none", f"--config={config}", "--fail-on-warning"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@contextlib.contextmanager
def importable(directory: Path) -> Iterator[None]:
    """``PACKAGE`` importable from ``directory`` meanwhile, and forgotten afterwards."""
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path.remove(str(directory))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_a_generated_client_signs_up_writes_reads_and_lists(
    server: str, document: dict[str, Any], tmp_path: Path
) -> None:
    generate(document, tmp_path)
    with importable(tmp_path):
        from blog_api_client import AuthenticatedClient, Client
        from blog_api_client.api.articles import create_article, get_article, list_articles
        from blog_api_client.api.auth import create_token, get_me
        from blog_api_client.api.authors import create_author
        from blog_api_client.models import Account, Article, ArticleCreate, AuthorCreate, CreateTokenBody

        anyone = Client(base_url=server, raise_on_unexpected_status=True)
        signed_up = create_author.sync_detailed(
            client=anyone, body=AuthorCreate(username="ada", email="ada@example.com", password=PASSWORD)
        )
        assert signed_up.status_code == 201
        assert isinstance(account := signed_up.parsed, Account)
        assert (account.username, account.email, account.bio) == ("ada", "ada@example.com", None)
        assert signed_up.headers["location"] == f"/authors/{account.id}"

        token = create_token.sync(client=anyone, body=CreateTokenBody(username="ada", password=PASSWORD))
        ada = AuthenticatedClient(base_url=server, token=token.access_token, raise_on_unexpected_status=True)
        assert get_me.sync(client=ada) == account

        body = ArticleCreate(title="Notes", content="On the Analytical Engine.", tags=["engines", "history"])
        written = create_article.sync_detailed(client=ada, body=body)
        assert written.status_code == 201
        assert isinstance(article := written.parsed, Article)
        assert (article.author_id, article.slug, article.tags) == (account.id, "notes", ["engines", "history"])
        assert written.headers["location"] == f"/articles/{article.id}"

        assert get_article.sync(client=anyone, article_id=article.id) == article
        listed = list_articles.sync_detailed(client=anyone, tag="history")
        assert listed.parsed == [article]
        assert listed.headers["x-total-count"] == "1"
