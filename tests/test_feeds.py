"""Atom, RSS and JSON feeds of the latest public articles, read as feed readers read them.

Atom and RSS are parsed by feedparser (which must find them well-formed: ``bozo`` is false),
JSON Feed by fastfeedparser (feedparser 6 does not read JSON Feed); never string matching.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import fastfeedparser
import feedparser
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.app import create_app
from tests.conftest import empty_tables, make_settings
from tests.helpers import ONE_BACKEND, Account, sign_up

Client = AsyncTestClient[Any]
FEEDS = {
    "/feed.atom": "application/atom+xml",
    "/feed.rss": "application/rss+xml",
    "/feed.json": "application/feed+json",
}
HOSTILE_TITLE = "Ampersands & <angle> \"quotes\" 'apostrophes' ]]> and émoji 🚂"


def parse(path: str, body: bytes) -> Any:
    """The feed as a reader parses it: feedparser for XML, fastfeedparser for JSON Feed."""
    if path.endswith(".json"):
        return fastfeedparser.parse(body.decode())
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


async def write(client: Client, account: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": fields.pop("title", "Notes"), "content": fields.pop("content", "Text."), **fields}
    response = await client.post("/articles", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize("path", list(FEEDS))
async def test_a_feed_carries_each_article_as_a_reader_needs_it(client: Client, path: str) -> None:
    ada = await sign_up(client, first_name="Ada", last_name="Lovelace")
    older = await write(client, ada, title="Older", published_at="2024-01-01T00:00:00Z")
    article = await write(
        client,
        ada,
        title=HOSTILE_TITLE,
        content="**Bold** & <script>x</script>",
        description="A summary",
        tags=["a", "b"],
    )
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FEEDS[path])
    feed = parse(path, response.content)
    newest, oldest = feed["entries"]
    assert newest["title"] == HOSTILE_TITLE
    assert oldest["title"] == "Older"
    assert newest["link"] == f"http://testserver.local/articles/{article['id']}"
    assert newest["id"] == newest["link"]
    assert newest["author"] == "Ada Lovelace"
    assert [tag["term"] for tag in newest["tags"]] == ["a", "b"]
    summary = newest.get("summary") or newest.get("description")
    assert summary == "A summary"
    content = newest["content"][0]["value"] if "content" in newest else newest["description"]
    assert "<strong>Bold</strong>" in content
    assert "<script>" not in content
    published = datetime.fromisoformat(article["published_at"]).replace(microsecond=0)
    if path.endswith(".json"):
        assert datetime.fromisoformat(newest["published"]).replace(microsecond=0) == published
    else:
        assert datetime(*newest["published_parsed"][:6], tzinfo=UTC) == published
    assert oldest["link"] == f"http://testserver.local/articles/{older['id']}"


async def test_the_20_latest_public_articles_by_tag_or_author(client: Client) -> None:
    ada, bob = await sign_up(client), await sign_up(client, "bob")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for number in range(21):
        moment = (start + timedelta(days=number)).isoformat()
        await write(client, ada, title=f"Ada {number}", published_at=moment, tags=["even"] if number % 2 == 0 else [])
    await write(client, bob, title="Bob's", published_at=(start + timedelta(days=5, hours=1)).isoformat())
    await write(client, ada, title="Draft", status="draft")
    for path in FEEDS:
        titles = [entry["title"] for entry in parse(path, (await client.get(path)).content)["entries"]]
        assert len(titles) == 20
        assert titles[0] == "Ada 20"
        assert "Draft" not in titles
        by_tag = parse(path, (await client.get(path, params={"tag": "even"})).content)["entries"]
        assert [entry["title"] for entry in by_tag] == [f"Ada {n}" for n in range(20, -1, -2)]
        by_author = parse(path, (await client.get(path, params={"author_id": bob.id})).content)["entries"]
        assert [entry["title"] for entry in by_author] == ["Bob's"]


@pytest.fixture
async def public_url_client(database_url: str, engine: AsyncEngine) -> AsyncIterator[Client]:
    await empty_tables(engine)
    settings = make_settings(database_url)
    settings = msgspec.structs.replace(
        settings, app=msgspec.structs.replace(settings.app, public_url="https://blog.example/")
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client
    await empty_tables(engine)


@ONE_BACKEND
async def test_links_start_with_the_public_url_when_set(public_url_client: Client) -> None:
    ada = await sign_up(public_url_client)
    article = await write(public_url_client, ada)
    for path in FEEDS:
        feed = parse(path, (await public_url_client.get(path)).content)
        assert feed["entries"][0]["link"] == f"https://blog.example/articles/{article['id']}"


@ONE_BACKEND
@pytest.mark.parametrize("path", list(FEEDS))
async def test_an_unchanged_feed_is_a_304_to_a_polling_reader(client: Client, path: str) -> None:
    ada = await sign_up(client)
    article = await write(client, ada)
    first = await client.get(path)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert datetime.strptime(last_modified, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC) <= datetime.now(UTC)

    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": last_modified},
        {"If-Modified-Since": format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)},
    ):
        again = await client.get(path, headers=headers)
        assert again.status_code == 304, headers
        assert again.content == b""
        assert again.headers["etag"] == etag
    # If-None-Match decides when both are sent, as RFC 9110 orders them.
    assert (
        await client.get(path, headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified})
    ).status_code == 200
    old = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert (await client.get(path, headers={"If-Modified-Since": old})).status_code == 200

    # A change to an article in the feed changes the feed's validator.
    await client.patch(f"/articles/{article['id']}", json={"title": "Changed"}, headers=ada.headers)
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
