"""Request ids, structured logs and Prometheus metrics.

The logs and the multi-worker metrics are read from the production command in a real process:
what it writes on stderr, and what ``/metrics`` says while two workers share the load.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.app import create_app
from blog.database import database
from blog.metrics import UNMATCHED, count_pool_connections
from blog.settings import DatabaseSettings
from tests.conftest import empty_tables, make_settings, migrate
from tests.helpers import ONE_BACKEND, PASSWORD, TEST_SECRET, assert_problem, served, sign_up

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
async def migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'served.sqlite3'}"
    await asyncio.to_thread(migrate, url)
    return url


# --- request ids ----------------------------------------------------------------------------


@ONE_BACKEND
@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123.X_y", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("has space", False),
        ("<script>", False),
        (None, False),
    ],
)
async def test_a_sane_request_id_is_kept_and_any_other_replaced(
    client: AsyncTestClient, sent: str | None, kept: bool
) -> None:
    headers = {"X-Request-ID": sent} if sent is not None else {}
    response = await client.get("/authors/4242", headers=headers)
    body = assert_problem(response, 404)  # the body's request_id is the header's
    if kept:
        assert response.headers["x-request-id"] == sent
    else:
        assert GENERATED_ID.fullmatch(body["request_id"]), body


@ONE_BACKEND
async def test_every_response_carries_its_id(client: AsyncTestClient) -> None:
    ada = await sign_up(client)
    answers = [
        await client.get("/nowhere"),  # no route: answered by the router, before any middleware
        await client.put("/authors"),  # 405, the router's too
        await client.post("/articles", json={"title": "T", "content": "C"}),  # 401, the auth middleware's
        await client.post("/articles", json={"title": ""}, headers=ada.headers),  # 400
        await client.get("/authors"),
        await client.get("/docs/openapi.json"),
        await client.get("/metrics"),
    ]
    ids = [response.headers["x-request-id"] for response in answers]
    assert all(GENERATED_ID.fullmatch(request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids)
    for response in answers[:4]:
        assert_problem(response, response.status_code)


# --- metrics ------------------------------------------------------------------------------


def samples(text: str, name: str) -> dict[str, float]:
    """The samples of metric ``name`` in an exposition, by their labels."""
    found = {}
    for line in text.splitlines():
        if line.startswith(name):
            labels, _, value = line[len(name) :].rpartition(" ")
            found[labels] = float(value)
    return found


@ONE_BACKEND
async def test_metrics_are_public_by_route_template_and_not_an_api_operation(client: AsyncTestClient) -> None:
    for author_id in (4242, 4343):
        assert (await client.get(f"/authors/{author_id}")).status_code == 404
    response = await client.get("/metrics")  # no token
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts = samples(response.text, "blog_requests_total")
    by_author = {labels: n for labels, n in counts.items() if 'path="/authors/{author_id}"' in labels}
    assert by_author, counts
    assert not [labels for labels in counts if "4242" in labels or "4343" in labels], counts
    assert samples(response.text, "blog_request_duration_seconds_bucket")
    assert "blog_db_pool_connections_in_use" in response.text
    document = (await client.get("/docs/openapi.json")).json()
    assert "/metrics" not in document["paths"]


def answered(exposition: str, method: str, path: str, status: int) -> float:
    """How many answers ``/metrics`` counts for this method, route and status."""
    labels = f'{{app_name="blog",method="{method}",path="{path}",status_code="{status}"}}'
    return samples(exposition, "blog_requests_total").get(labels, 0.0)


@ONE_BACKEND
async def test_every_answer_is_counted_under_the_status_the_client_got(database_url: str, engine: AsyncEngine) -> None:
    """401 from authentication, 404 and 405 from the router, 413, 415, 429 and a 503 fault are
    counted as such (Litestar's Prometheus middleware counted a 401 as a 200, and never saw
    the router's answers)."""
    await empty_tables(engine)
    settings = make_settings(database_url)
    settings = msgspec.structs.replace(
        settings,
        app=msgspec.structs.replace(settings.app, max_body_size=100),
        auth=msgspec.structs.replace(settings.auth, login_attempts=1),
    )
    unreachable = make_settings("postgresql+asyncpg://postgres@127.0.0.1:9/blog", connect_timeout=1.0)
    sends = [
        ("GET", "/auth/me", 401, {}),
        ("GET", "/nowhere", 404, {}),
        ("DELETE", "/authors", 405, {}),
        (
            "POST",
            "/authors",
            413,
            {"content": b"{" + b" " * 200 + b"}", "headers": {"content-type": "application/json"}},
        ),
        ("POST", "/authors", 415, {"content": b"name=ada", "headers": {"content-type": "text/plain"}}),
        ("POST", "/auth/token", 401, {"data": {"username": "nobody", "password": "wrong password"}}),
        ("POST", "/auth/token", 429, {"data": {"username": "nobody", "password": "wrong password"}}),
    ]
    async with (
        AsyncTestClient(app=create_app(settings)) as client,
        AsyncTestClient(app=create_app(unreachable)) as faulty,
    ):
        before = (await client.get("/metrics")).text
        for method, path, status, request in sends:
            assert (await client.request(method, path, **request)).status_code == status, (method, path)
        assert (await faulty.get("/authors/1")).status_code == 503
        after = (await client.get("/metrics")).text
    await empty_tables(engine)

    def counted(method: str, path: str, status: int) -> float:
        return answered(after, method, path, status) - answered(before, method, path, status)

    assert counted("GET", "/auth/me", 401) == 1
    assert counted("GET", "/auth/me", 200) == 0
    assert counted("GET", UNMATCHED, 404) == 1
    assert counted("DELETE", "/authors", 405) + counted("DELETE", UNMATCHED, 405) == 1
    assert counted("POST", "/authors", 413) == 1
    assert counted("POST", "/authors", 415) == 1
    assert counted("POST", "/auth/token", 401) == 1
    assert counted("POST", "/auth/token", 429) == 1
    assert counted("GET", "/authors/{author_id}", 503) == 1
    errors = samples(after, "blog_requests_error_total")
    assert errors.get('{app_name="blog",method="GET",path="/authors/{author_id}",status_code="503"}', 0) >= 1
    assert counted("GET", "/metrics", 200) == 0  # scraping is not counted


async def test_the_pool_gauge_counts_connections_in_use(database_url: str) -> None:
    db = database(DatabaseSettings(url=database_url))
    count_pool_connections(db.engine, 20)

    def in_use() -> float:
        return REGISTRY.get_sample_value("blog_db_pool_connections_in_use") or 0.0

    before = in_use()
    try:
        async with db.engine.connect() as one, db.engine.connect() as two:
            assert one is not two
            assert in_use() == before + 2
        assert in_use() == before
    finally:
        await db.engine.dispose()


async def test_two_workers_add_up_their_metrics(migrated_sqlite: str, tmp_path: Path) -> None:
    """prometheus-client's multiprocess mode: whichever worker answers, it counts for both."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        "DATABASE_URL": migrated_sqlite,
        "DATABASE_POOL_SIZE": "3",
        "AUTH_SECRET": TEST_SECRET,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    with served(env, workers=2, log=tmp_path / "server.log") as base_url:
        for author_id in range(1, 21):
            async with httpx.AsyncClient(base_url=base_url) as fresh:  # a new connection: either worker
                assert (await fresh.get(f"/authors/{author_id}")).status_code == 404
        async with httpx.AsyncClient(base_url=base_url) as scraper:
            exposition = (await scraper.get("/metrics")).text
        workers = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("gauge_livesum_*.db")}
        assert len(workers) == 2, workers  # both workers came up and wrote there
    assert not list(metrics_dir.glob("gauge_livesum_*.db")), "a stopped worker leaves the sums"
    assert samples(exposition, "blog_db_pool_size") == {"": 6.0}, exposition  # 3 each, both counted
    counts = samples(exposition, "blog_requests_total")
    assert sum(n for labels, n in counts.items() if 'path="/authors/{author_id}"' in labels) == 20, counts


# --- logs ---------------------------------------------------------------------------------


def log_lines(log: Path) -> list[dict[str, Any]]:
    """Every line the server wrote, each of which must be one JSON object."""
    lines = []
    for line in log.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    return lines


async def test_one_json_line_per_request_with_its_id_in_every_line_and_no_secret(
    migrated_sqlite: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    env = {"DATABASE_URL": migrated_sqlite, "AUTH_SECRET": TEST_SECRET, "DATABASE_ECHO": "true"}
    content = "A body that stays out of the log."
    with served(env, log=log) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            account = {"username": "ada", "email": "ada@example.com", "password": PASSWORD}
            ada = (await client.post("/authors", json=account, headers={"X-Request-ID": "sign-up"})).json()
            login = await client.post(
                "/auth/token", data={"username": "ada", "password": PASSWORD}, headers={"X-Request-ID": "log-in"}
            )
            token = login.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "write"}
            write = await client.post("/articles", json={"title": "Notes", "content": content}, headers=headers)
            assert write.status_code == 201
            assert (await client.get("/nowhere", headers={"X-Request-ID": "lost"})).status_code == 404
            assert (await client.get(f"/authors/{ada['id']}", headers={"X-Request-ID": "read"})).status_code == 200

    lines = log_lines(log)  # uvicorn's own lines included: one format
    requests = {line["request_id"]: line for line in lines if line["event"] == "request"}
    assert sum(line["event"] == "request" for line in lines if line.get("route") != "/healthcheck") == 5
    assert requests["write"] | {"duration_ms": 0} == {
        "event": "request",
        "level": "info",
        "logger": "blog.requests",
        "timestamp": requests["write"]["timestamp"],
        "method": "POST",
        "route": "/articles",
        "status": 201,
        "duration_ms": 0,
        "request_id": "write",
        "client": "127.0.0.1",
    }
    assert requests["read"]["route"] == "/authors/{author_id}"  # the template, not the id
    assert requests["lost"]["route"] is None
    assert requests["lost"]["status"] == 404

    # SQL (database.echo) in the same format, once, with the id of the request that ran it.
    inserts = [line for line in lines if line["logger"].startswith("sqlalchemy.engine") and "INSERT" in line["event"]]
    assert {line["request_id"] for line in inserts} == {"sign-up", "write"}, inserts
    assert not any(line["logger"] == "uvicorn.access" for line in lines)

    text = log.read_text()
    for secret in (PASSWORD, token, TEST_SECRET, content, "$argon2id$"):
        assert secret not in text, secret
