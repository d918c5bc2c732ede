"""The feeds' documents: Atom 1.0 and RSS 2.0 written by feedgen, JSON Feed 1.1 by msgspec.

Never by string concatenation: feedgen builds the XML with lxml, which escapes whatever the
titles and contents hold, so every feed is well-formed. A feed's content is a function of its
articles only (its date is the newest article's, not the time of the request), so that its
validators (``ETag``, ``Last-Modified``) change only when its articles do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import msgspec
from feedgen.feed import FeedGenerator

from blog.domain.articles.models import Article

FeedFormat = Literal["atom", "rss", "json"]
MEDIA_TYPES: dict[FeedFormat, str] = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
EMPTY_FEED_DATE = datetime(1970, 1, 1, tzinfo=UTC)
"""An empty feed's date (Atom requires one): fixed, so that its validators stay put too."""


@dataclass(frozen=True)
class Feed:
    """What a feed says of itself."""

    title: str
    description: str
    home: str
    """The absolute URL of what the feed lists (the articles' listing)."""
    url: str
    """The feed's own absolute URL."""

    def article_url(self, article: Article) -> str:
        return f"{self.home}/{article.id}"


def author_name(article: Article) -> str:
    """The article's author as a reader knows them: their name, else their username."""
    author = article.author
    name = " ".join(part for part in (author.first_name, author.last_name) if part)
    return name or author.username


def last_change(articles: Sequence[Article]) -> datetime | None:
    """When the newest change to the feed's articles was made; ``None`` for an empty feed."""
    return max((article.updated_at for article in articles), default=None)


def render(feed: Feed, articles: Sequence[Article], feed_format: FeedFormat) -> bytes:
    """The feed of ``articles`` (newest first) in ``feed_format``."""
    if feed_format == "json":
        return _json_feed(feed, articles)
    generator = FeedGenerator()
    generator.load_extension("dc")  # RSS 2.0 names an author by e-mail only: dc:creator names them
    generator.id(feed.home)
    generator.title(feed.title)
    generator.description(feed.description)
    generator.link(href=feed.url, rel="self")
    generator.link(href=feed.home, rel="alternate")
    changed = last_change(articles) or EMPTY_FEED_DATE
    generator.updated(changed)
    generator.lastBuildDate(changed)
    for article in articles:
        entry = generator.add_entry(order="append")
        url = feed.article_url(article)
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(article.title)
        entry.link(href=url)
        entry.published(article.published_at)
        entry.updated(article.updated_at)
        entry.author(name=author_name(article))
        entry.dc.dc_creator(author_name(article))
        if article.description:
            entry.summary(article.description)
        entry.content(article.content_html, type="html")
        for tag in article.tags:
            entry.category(term=tag)
    document: bytes = generator.atom_str() if feed_format == "atom" else generator.rss_str()
    return document


class JsonFeedAuthor(msgspec.Struct):
    name: str


class JsonFeedItem(msgspec.Struct, omit_defaults=True):
    id: str
    url: str
    title: str
    content_html: str
    date_published: datetime
    date_modified: datetime
    authors: list[JsonFeedAuthor]
    tags: list[str]
    summary: str | None = None


class JsonFeed(msgspec.Struct, omit_defaults=True):
    version: str
    title: str
    home_page_url: str
    feed_url: str
    description: str
    items: list[JsonFeedItem]


def _json_feed(feed: Feed, articles: Sequence[Article]) -> bytes:
    items = [
        JsonFeedItem(
            id=feed.article_url(article),
            url=feed.article_url(article),
            title=article.title,
            content_html=article.content_html,
            date_published=article.published_at or article.created_at,
            date_modified=article.updated_at,
            authors=[JsonFeedAuthor(name=author_name(article))],
            tags=list(article.tags),
            summary=article.description or None,
        )
        for article in articles
    ]
    document = JsonFeed(
        version=JSON_FEED_VERSION,
        title=feed.title,
        home_page_url=feed.home,
        feed_url=feed.url,
        description=feed.description,
        items=items,
    )
    return msgspec.json.encode(document)
