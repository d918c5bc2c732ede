"""Publishing (contract v4, part 1): drafts, scheduled articles, and what no one else may see.

A draft or a scheduled article exists for its author only: for anyone else it is a 404 like
a missing id, on every path, and no listing counts or shows it. A scheduled article becomes
public by itself when its time comes (a test waits for it).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import ONE_BACKEND, Account, assert_problem, sign_up, token_for

Client = AsyncTestClient[Any]
MISSING = "Article does not exist"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def write(client: Client, account: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": fields.pop("title", "Notes"), "content": fields.pop("content", "Some text."), **fields}
    response = await client.post("/articles", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [article["id"] for article in response.json()]


async def test_a_new_article_is_published_now_and_a_draft_has_no_date(client: Client) -> None:
    ada = await sign_up(client)
    before = datetime.now(UTC)
    published = await write(client, ada)
    assert published["status"] == "published"
    assert before <= datetime.fromisoformat(published["published_at"]) <= datetime.now(UTC)
    draft = await write(client, ada, status="draft", published_at=iso(before + timedelta(days=1)))
    assert (draft["status"], draft["published_at"]) == ("draft", None)  # a draft has no date

    # Publishing a draft dates it now; unpublishing clears the date; a date in the past backdates.
    path = f"/articles/{draft['id']}"
    made_public = (await client.patch(path, json={"status": "published"}, headers=ada.headers)).json()
    assert before <= datetime.fromisoformat(made_public["published_at"]) <= datetime.now(UTC)
    back = (await client.patch(path, json={"status": "draft"}, headers=ada.headers)).json()
    assert (back["status"], back["published_at"]) == ("draft", None)
    past = datetime(2020, 5, 17, 10, tzinfo=UTC)
    backdated = await client.patch(
        path, json={"status": "published", "published_at": "2020-05-17T12:00:00+02:00"}, headers=ada.headers
    )
    assert datetime.fromisoformat(backdated.json()["published_at"]) == past
    # Editing a published article keeps its date.
    edited = await client.patch(path, json={"title": "Renamed"}, headers=ada.headers)
    assert datetime.fromisoformat(edited.json()["published_at"]) == past


@ONE_BACKEND
async def test_a_time_without_offset_or_an_unknown_status_is_a_400(client: Client) -> None:
    ada = await sign_up(client)
    local = await client.post(
        "/articles", json={"title": "T", "content": "C", "published_at": "2030-01-01T09:00:00"}, headers=ada.headers
    )
    body = assert_problem(local, 400, field="published_at")
    assert "offset" in body["detail"]
    unknown = await client.post("/articles", json={"title": "T", "content": "C", "status": "live"}, headers=ada.headers)
    assert_problem(unknown, 400, field="status")
    article = await write(client, ada)
    patched = await client.patch(
        f"/articles/{article['id']}", json={"published_at": "2030-01-01 09:00"}, headers=ada.headers
    )
    assert_problem(patched, 400, field="published_at")


async def test_a_draft_or_scheduled_article_is_missing_for_everyone_but_its_author(client: Client) -> None:
    ada, bob = await sign_up(client), await sign_up(client, "bob")
    draft = await write(client, ada, status="draft")
    scheduled = await write(client, ada, published_at=iso(datetime.now(UTC) + timedelta(days=30)))
    public = await write(client, ada, title="Public")
    missing = 9_999_999
    for article in (draft, scheduled):
        path = f"/articles/{article['id']}"
        assert (await client.get(path, headers=ada.headers)).json()["id"] == article["id"]
        for headers in ({}, bob.headers):
            for response in (
                await client.get(path, headers=headers),
                await client.get(f"/articles/{missing}", headers=headers),
            ):
                assert_problem(response, 404, detail=MISSING)
        # Written to by someone else: the same 404 as for an id that does not exist (a public
        # article of someone else's is a 403).
        for response in (
            await client.patch(path, json={"title": "Mine"}, headers=bob.headers),
            await client.delete(path, headers=bob.headers),
        ):
            assert_problem(response, 404, detail=MISSING)
        for response in (
            await client.patch(path, json={"title": "Mine"}),
            await client.delete(path),
        ):
            assert response.status_code == 401
    assert_problem(await client.patch(f"/articles/{public['id']}", json={"title": "X"}, headers=bob.headers), 403)
    assert (
        await client.patch(f"/articles/{draft['id']}", json={"title": "Still mine"}, headers=ada.headers)
    ).is_success
    assert (await client.delete(f"/articles/{draft['id']}", headers=ada.headers)).status_code == 204


@ONE_BACKEND
async def test_no_listing_shows_or_counts_what_is_not_public(client: Client) -> None:
    """Every listing, native, RealWorld and feeds, on PostgreSQL: public articles only."""
    ada, bob = await sign_up(client), await sign_up(client, "bob")
    future = iso(datetime.now(UTC) + timedelta(days=30))
    draft = await write(client, ada, title="Hidden draft", status="draft", tags=["secret-draft"])
    scheduled = await write(client, ada, title="Hidden schedule", published_at=future, tags=["secret-later"])
    public = await write(client, ada, title="Public", tags=["open"])
    hidden = {draft["id"], scheduled["id"]}
    hidden_slugs = {draft["slug"], scheduled["slug"]}
    # Ada favourites her own hidden articles (she may see them); Bob follows her.
    for slug in hidden_slugs:
        assert (await client.post(f"/api/articles/{slug}/favorite", headers=ada.headers)).status_code == 200
    assert (await client.post("/api/profiles/ada/follow", headers=bob.headers)).status_code == 200

    for path, params in [
        ("/articles", {}),
        ("/articles", {"author_id": ada.id}),
        ("/articles", {"tag": "secret-draft"}),
        ("/articles", {"orderBy": "created_at"}),
        (f"/authors/{ada.id}/articles", {}),
    ]:
        for headers in ({}, ada.headers, bob.headers):
            response = await client.get(path, params=params, headers=headers)
            assert not hidden & set(ids(response)), (path, params)
            assert int(response.headers["x-total-count"]) == len(response.json()), (path, params)
    assert ids(await client.get("/articles")) == [public["id"]]

    for path, params, headers in [
        ("/api/articles", {}, {}),
        ("/api/articles", {"author": "ada"}, ada.headers),
        ("/api/articles", {"favorited": "ada"}, ada.headers),
        ("/api/articles", {"tag": "secret-later"}, {}),
        ("/api/articles/feed", {}, bob.headers),
    ]:
        body = (await client.get(path, params=params, headers=headers)).json()
        assert not hidden_slugs & {article["slug"] for article in body["articles"]}, (path, params)
        assert body["articlesCount"] == len(body["articles"])
    tags = (await client.get("/api/tags")).json()["tags"]
    assert "open" in tags
    assert not {"secret-draft", "secret-later"} & set(tags)
    for slug in hidden_slugs:
        for path in (f"/api/articles/{slug}", f"/api/articles/{slug}/comments"):
            assert (await client.get(path, headers=bob.headers)).status_code == 404
        assert (await client.post(f"/api/articles/{slug}/favorite", headers=bob.headers)).status_code == 404
    for feed in ("/feed.atom", "/feed.rss", "/feed.json"):
        text = (await client.get(feed)).text
        assert "Hidden" not in text
        assert "Public" in text


async def test_status_lists_the_callers_own_drafts_or_scheduled_articles(client: Client) -> None:
    ada, bob = await sign_up(client), await sign_up(client, "bob")
    future = iso(datetime.now(UTC) + timedelta(days=30))
    drafts = [(await write(client, ada, status="draft"))["id"] for _ in range(2)]
    scheduled = (await write(client, ada, published_at=future))["id"]
    await write(client, ada)
    bobs_draft = (await write(client, bob, status="draft"))["id"]

    mine = await client.get("/articles", params={"status": "draft"}, headers=ada.headers)
    assert ids(mine) == drafts[::-1]
    assert mine.headers["x-total-count"] == "2"
    assert ids(await client.get("/articles", params={"status": "scheduled"}, headers=ada.headers)) == [scheduled]
    assert ids(await client.get("/articles", params={"status": "draft"}, headers=bob.headers)) == [bobs_draft]
    refused = await client.get("/articles", params={"status": "draft"})
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == "Bearer"
    invalid = await client.get("/articles", params={"status": "draft"}, headers={"Authorization": "Bearer nope"})
    assert_problem(invalid, 401)
    assert_problem(await client.get("/articles", params={"status": "published"}), 400, field="status")


async def test_public_listings_are_newest_published_first(client: Client) -> None:
    ada = await sign_up(client)
    old = await write(client, ada, title="Old", published_at="2021-01-01T00:00:00Z")
    new = await write(client, ada, title="New")
    middle = await write(client, ada, title="Middle", published_at="2023-06-01T00:00:00Z")
    assert ids(await client.get("/articles")) == [new["id"], middle["id"], old["id"]]
    assert ids(await client.get("/articles", params={"orderBy": "published_at", "sortOrder": "asc"})) == [
        old["id"],
        middle["id"],
        new["id"],
    ]
    realworld = (await client.get("/api/articles")).json()["articles"]
    assert [article["title"] for article in realworld] == ["New", "Middle", "Old"]


async def test_articles_written_through_the_realworld_api_are_published_at_once(client: Client) -> None:
    body = {"user": {"username": "jake", "email": "jake@jake.jake", "password": "jakejakejake"}}
    user = (await client.post("/api/users", json=body)).json()["user"]
    article = {"article": {"title": "Dragons", "description": "D", "body": "**Bold**"}}
    written = await client.post("/api/articles", json=article, headers={"Authorization": f"Token {user['token']}"})
    assert written.status_code == 201, written.text
    [native] = (await client.get("/articles")).json()
    assert native["status"] == "published"
    assert native["content_html"] == "<p><strong>Bold</strong></p>\n"


@ONE_BACKEND
async def test_a_scheduled_article_becomes_public_when_its_time_comes(client: Client) -> None:
    """No job runs: the time passes while the test waits, and every read finds the article."""
    ada = await sign_up(client)
    await write(client, ada, title="Earlier")
    due = datetime.now(UTC) + timedelta(seconds=2)
    scheduled = await write(client, ada, title="Scheduled", published_at=iso(due))
    path = f"/articles/{scheduled['id']}"
    # Asked well before its time (the write took milliseconds of the two seconds).
    assert datetime.now(UTC) < due
    assert (await client.get(path)).status_code == 404
    assert "Scheduled" not in [a["title"] for a in (await client.get("/articles")).json()]

    deadline = time.monotonic() + 15
    while (await client.get(path)).status_code != 200:
        assert time.monotonic() < deadline, "the scheduled article never became public"
        await asyncio.sleep(0.1)
    assert datetime.now(UTC) >= due
    assert (await client.get("/articles")).json()[0]["title"] == "Scheduled"
    assert (await client.get("/api/articles")).json()["articles"][0]["title"] == "Scheduled"
    assert "Scheduled" in (await client.get("/feed.atom")).text


@ONE_BACKEND
async def test_an_expired_or_foreign_token_on_a_public_read_is_refused_not_ignored(client: Client) -> None:
    ada = await sign_up(client)
    article = await write(client, ada)
    expired = token_for(ada.id, lifetime=timedelta(seconds=-10))
    response = await client.get(f"/articles/{article['id']}", headers={"Authorization": f"Bearer {expired}"})
    assert_problem(response, 401)


@pytest.mark.parametrize("state", ["draft", "scheduled"])
async def test_a_hidden_article_takes_no_comment_or_favourite_from_others(client: Client, state: str) -> None:
    ada, bob = await sign_up(client), await sign_up(client, "bob")
    fields = {"status": "draft"} if state == "draft" else {"published_at": iso(datetime.now(UTC) + timedelta(days=1))}
    slug = (await write(client, ada, **fields))["slug"]
    comment = {"comment": {"body": "First!"}}
    assert (await client.post(f"/api/articles/{slug}/comments", json=comment, headers=bob.headers)).status_code == 404
    assert (await client.post(f"/api/articles/{slug}/comments", json=comment, headers=ada.headers)).status_code == 201
    assert (
        await client.put(f"/api/articles/{slug}", json={"article": {"title": "X"}}, headers=bob.headers)
    ).status_code == 404
    assert (await client.delete(f"/api/articles/{slug}", headers=bob.headers)).status_code == 404
