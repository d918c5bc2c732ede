"""HTTP's own tools (contract v4, part 2): validators and conditional reads, ``If-Match`` on
writes, ``HEAD`` on every ``GET`` path, and what caches may keep."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.helpers import ONE_BACKEND, Account, assert_problem, create_article, sign_up
from tests.test_concurrency import concurrent_client

Client = AsyncTestClient[Litestar]


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def realworld_token(client: Client, username: str) -> dict[str, str]:
    body = {"user": {"username": username, "email": f"{username}@example.com", "password": "a long password"}}
    response = await client.post("/api/users", json=body)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Token {response.json()['user']['token']}"}


# --- validators and conditional reads -----------------------------------------------------------


async def test_single_resources_carry_strong_validators_and_revalidate_with_304(client: Client) -> None:
    ada = await sign_up(client)
    article = await create_article(client, ada)
    for path, updated_at in ((f"/articles/{article['id']}", article["updated_at"]), (f"/authors/{ada.id}", None)):
        first = await client.get(path)
        assert first.status_code == 200
        tag = first.headers["etag"]
        assert tag.startswith('"'), tag  # strong: not W/"..."
        updated = updated_at or first.json()["updated_at"]
        assert first.headers["last-modified"] == http_date(parse_iso(updated))
        assert (await client.get(path)).headers["etag"] == tag  # stable while nothing changes

        for if_none_match in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = await client.get(path, headers={"If-None-Match": if_none_match})
            assert again.status_code == 304, if_none_match
            assert again.content == b""
            assert again.headers["etag"] == tag
            assert "content-type" not in again.headers
            assert again.headers["cache-control"] == "no-cache"
        assert (await client.get(path, headers={"If-None-Match": '"other"'})).status_code == 200

        modified = parsedate_to_datetime(first.headers["last-modified"])
        assert (await client.get(path, headers={"If-Modified-Since": http_date(modified)})).status_code == 304
        earlier = http_date(modified - timedelta(seconds=1))
        assert (await client.get(path, headers={"If-Modified-Since": earlier})).status_code == 200
        # If-None-Match decides when both are sent (RFC 9110, section 13.2.2).
        both = {"If-None-Match": '"other"', "If-Modified-Since": http_date(modified)}
        assert (await client.get(path, headers=both)).status_code == 200


async def test_the_etag_changes_whenever_the_body_does(client: Client) -> None:
    ada = await sign_up(client)
    article = await create_article(client, ada)
    path = f"/articles/{article['id']}"
    listing = (await client.get("/articles")).headers["etag"]
    before = (await client.get(path)).headers["etag"]

    # A favourite made through RealWorld's API moves favorites_count, and with it the ETag.
    reader = await realworld_token(client, "reader")
    favourited = await client.post(f"/api/articles/{article['slug']}/favorite", headers=reader)
    assert favourited.status_code == 200, favourited.text
    after = await client.get(path, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.json()["favorites_count"] == 1
    assert after.headers["etag"] != before
    assert (await client.get("/articles")).headers["etag"] != listing

    # An edit moves it too, and the PATCH answers with the new version's validators.
    edited = await client.patch(path, json={"tags": ["engines"]}, headers=ada.headers)
    assert edited.status_code == 200
    assert edited.headers["etag"] not in (before, after.headers["etag"])
    read = await client.get(path)
    assert read.headers["etag"] == edited.headers["etag"]
    assert read.headers["last-modified"] == edited.headers["last-modified"]


# --- If-Match --------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["article", "author"])
async def test_a_stale_if_match_is_412_and_changes_nothing(client: Client, resource: str) -> None:
    ada = await sign_up(client)
    path = f"/articles/{(await create_article(client, ada))['id']}" if resource == "article" else f"/authors/{ada.id}"
    change = {"title": "Changed"} if resource == "article" else {"bio": "Changed"}
    seen = await client.get(path)
    tag = seen.headers["etag"]

    for stale in ('"not-the-version"', f"W/{tag}"):  # strong comparison: a weak tag never matches
        refused = await client.patch(path, json=change, headers={**ada.headers, "If-Match": stale})
        assert_problem(refused, 412)
        assert "changed since you read it" in refused.json()["detail"]
        assert_problem(await client.delete(path, headers={**ada.headers, "If-Match": stale}), 412)
    unchanged = await client.get(path)
    assert (unchanged.headers["etag"], unchanged.content) == (tag, seen.content)

    changed = await client.patch(path, json=change, headers={**ada.headers, "If-Match": f'"other", {tag}'})
    assert changed.status_code == 200, changed.text
    # The version just read is now stale; `*` matches whatever version exists.
    assert_problem(await client.patch(path, json=change, headers={**ada.headers, "If-Match": tag}), 412)
    assert (await client.patch(path, json=change, headers={**ada.headers, "If-Match": "*"})).status_code == 200
    assert (await client.patch(path, json=change, headers=ada.headers)).status_code == 200  # no precondition
    current = (await client.get(path)).headers["etag"]
    assert (await client.delete(path, headers={**ada.headers, "If-Match": current})).status_code == 204
    assert (await client.get(path)).status_code == 404


@ONE_BACKEND
async def test_if_match_comes_after_the_token_and_the_owner(client: Client) -> None:
    ada, grace = await sign_up(client), await sign_up(client, "grace")
    path = f"/articles/{(await create_article(client, ada))['id']}"
    stale = {"If-Match": '"stale"'}
    assert_problem(await client.patch(path, json={"title": "X"}, headers=stale), 401)
    assert_problem(await client.patch(path, json={"title": "X"}, headers={**grace.headers, **stale}), 403)
    assert_problem(await client.delete(path, headers={**grace.headers, **stale}), 403)
    assert_problem(
        await client.patch("/articles/999999", json={"title": "X"}, headers={**ada.headers, "If-Match": "*"}), 404
    )
    assert_problem(await client.delete(f"/authors/{grace.id}", headers={**ada.headers, **stale}), 403)


async def test_of_editors_holding_the_same_etag_exactly_one_wins(app: Litestar, database_url: str) -> None:
    """The check and the write are one transaction: each round, eight PATCHes sent at once
    with the same ETag; the row lock lets one through, and the seven others then see a new version."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers: PostgreSQL's row locks (SQLite runs one writer at a time)")
    async with concurrent_client(app) as client:
        ada = await sign_up(client, "editor")
        article = await create_article(client, ada)
        path = f"/articles/{article['id']}"
        for round_ in range(5):
            tag = (await client.get(path)).headers["etag"]

            async def edit(n: int, tag: str = tag, round_: int = round_) -> tuple[int, str]:
                headers = {**ada.headers, "If-Match": tag}
                response = await client.patch(path, json={"title": f"Round {round_}, editor {n}"}, headers=headers)
                return response.status_code, response.json().get("title", "")

            answers = await asyncio.gather(*(edit(n) for n in range(8)))
            assert Counter(status for status, _ in answers) == {200: 1, 412: 7}, answers
            (winner,) = [title for status, title in answers if status == 200]
            assert (await client.get(path)).json()["title"] == winner


# --- HEAD ----------------------------------------------------------------------------------------


async def _get_paths(client: Client, ada: Account, article: dict[str, Any]) -> list[str]:
    """Every GET path of the OpenAPI document, its parameters filled with existing rows."""
    document = (await client.get("/docs/openapi.json")).json()
    values = {
        "author_id": str(ada.id),
        "article_id": str(article["id"]),
        "slug": article["slug"],
        "username": ada.author["username"],
    }
    paths = [path.format(**values) for path, operations in document["paths"].items() if "get" in operations]
    return [*paths, "/docs", "/docs/openapi.json", "/no/such/path", "/articles?limit=1000"]


@ONE_BACKEND
async def test_head_answers_every_get_path_with_its_status_and_headers(client: Client) -> None:
    ada = await sign_up(client)
    article = await create_article(client, ada)
    reader = await realworld_token(client, "reader")
    paths = await _get_paths(client, ada, article)
    assert len(paths) > 20
    for path in paths:
        for headers in ({}, ada.headers if not path.startswith("/api") else reader):
            got = await client.get(path, headers=headers)
            head = await client.head(path, headers=headers)
            assert head.status_code == got.status_code, path
            assert head.content == b"", path
            ignored = {"date", "x-request-id"}
            assert {k: v for k, v in head.headers.items() if k not in ignored} == {
                k: v for k, v in got.headers.items() if k not in ignored
            }, path
    # HEAD honours preconditions like GET does.
    tag = (await client.get(f"/articles/{article['id']}")).headers["etag"]
    assert (await client.head(f"/articles/{article['id']}", headers={"If-None-Match": tag})).status_code == 304


@ONE_BACKEND
async def test_head_is_logged_and_counted_as_head(client: Client) -> None:
    await client.head("/health")
    metrics = (await client.get("/metrics")).text
    assert 'method="HEAD"' in metrics


# --- caching -------------------------------------------------------------------------------------


@ONE_BACKEND
async def test_public_reads_may_be_cached_and_revalidated_and_personal_ones_are_private(client: Client) -> None:
    ada = await sign_up(client)
    article = await create_article(client, ada)
    draft = (
        await client.post("/articles", json={"title": "D", "content": "d", "status": "draft"}, headers=ada.headers)
    ).json()
    reader = await realworld_token(client, "reader")

    for path in ("/articles", f"/articles/{article['id']}", f"/authors/{ada.id}", "/feed.atom", "/api/articles"):
        public = await client.get(path)
        assert public.status_code == 200, path
        assert public.headers["cache-control"] == "no-cache", path
        assert "Authorization" in public.headers["vary"], path
        assert public.headers["etag"], path

    for path, headers in (
        ("/auth/me", ada.headers),
        (f"/articles/{draft['id']}", ada.headers),
        ("/articles?status=draft", ada.headers),
        ("/api/user", reader),
        ("/api/articles", reader),
        (f"/api/articles/{article['slug']}", reader),
    ):
        personal = await client.get(path, headers=headers)
        assert personal.status_code == 200, path
        assert "private" in personal.headers["cache-control"], path
        assert "Authorization" in personal.headers["vary"], path
