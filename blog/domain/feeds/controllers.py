"""``/feed.atom``, ``/feed.rss``, ``/feed.json``: the latest public articles, for feed readers."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK

from blog.domain.articles.controllers import READS, TagParameter
from blog.domain.articles.services import FEED_SIZE, ArticleService, of_author
from blog.domain.feeds.documents import MEDIA_TYPES, Feed, FeedFormat, JsonFeed, last_change, render
from blog.errors import problem_responses
from blog.fields import ID_BOUNDS
from blog.openapi import response_header
from blog.security import PUBLIC
from blog.settings import Settings

AuthorParameter = Annotated[int | None, QueryParameter(**ID_BOUNDS, description="Only this author's articles.")]
FEED_HEADERS = [
    response_header(
        "ETag", "The feed's validator: send it back in `If-None-Match`.", example='"3f786850e387550fdab836ed7e6dc881"'
    ),
    response_header(
        "Last-Modified",
        "When the newest change to the feed's articles was made (absent for an empty feed).",
        example="Thu, 24 Dec 2026 09:00:00 GMT",
        required=False,
    ),
]
FEED_DESCRIPTION = f"""The {FEED_SIZE} most recently published public articles, newest first: each with
its title, absolute link, publication and update times, author, description (as the
summary), content as HTML and tags (as categories). `tag` and `author_id` narrow it.
Feed readers poll: send the `ETag` back in `If-None-Match` (or `Last-Modified` in
`If-Modified-Since`) and an unchanged feed is a 304 with no body."""


def _base_url(request: Request[Any, Any, Any]) -> str:
    """Where absolute links start: ``app.public_url``, else the request's own scheme and host."""
    settings: Settings = request.app.state["settings"]
    return settings.app.public_url.rstrip("/") or str(request.base_url).rstrip("/")


class FeedController(Controller):
    """Feeds of the latest articles."""

    tags = ["Feeds"]
    opt = PUBLIC
    dependencies = READS

    async def _feed(
        self,
        request: Request[Any, Any, Any],
        articles: ArticleService,
        feed_format: FeedFormat,
        tag: str | None,
        author_id: int | None,
    ) -> Response[bytes]:
        conditions: list[Any] = [] if author_id is None else [of_author(author_id)]
        if tag is not None:
            conditions.append(await articles.tagged(tag))
        latest = await articles.latest(*conditions)
        base = _base_url(request)
        settings: Settings = request.app.state["settings"]
        feed = Feed(
            title=settings.app.title,
            description=f"The latest articles of {settings.app.title}.",
            home=f"{base}/articles",
            url=f"{base}{request.url.path}" + (f"?{request.url.query}" if request.url.query else ""),
        )
        headers = {}
        if (changed := last_change(latest)) is not None:
            headers["Last-Modified"] = format_datetime(changed, usegmt=True)
        return Response(render(feed, latest, feed_format), media_type=MEDIA_TYPES[feed_format], headers=headers)

    @get(
        "/feed.atom",
        operation_id="atomFeed",
        summary="Atom feed",
        description=FEED_DESCRIPTION,
        media_type=MEDIA_TYPES["atom"],
        response_headers=FEED_HEADERS,
        responses=problem_responses(400),
    )
    async def atom(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        tag: TagParameter = None,
        author_id: AuthorParameter = None,
    ) -> Response[bytes]:
        """The latest articles as an Atom 1.0 feed (RFC 4287)."""
        return await self._feed(request, articles, "atom", tag, author_id)

    @get(
        "/feed.rss",
        operation_id="rssFeed",
        summary="RSS feed",
        description=FEED_DESCRIPTION,
        media_type=MEDIA_TYPES["rss"],
        response_headers=FEED_HEADERS,
        responses=problem_responses(400),
    )
    async def rss(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        tag: TagParameter = None,
        author_id: AuthorParameter = None,
    ) -> Response[bytes]:
        """The latest articles as an RSS 2.0 feed."""
        return await self._feed(request, articles, "rss", tag, author_id)

    @get(
        "/feed.json",
        operation_id="jsonFeed",
        summary="JSON Feed",
        description=FEED_DESCRIPTION,
        media_type=MEDIA_TYPES["json"],
        response_headers=FEED_HEADERS,
        responses={
            HTTP_200_OK: ResponseSpec(
                data_container=JsonFeed,
                media_type=MEDIA_TYPES["json"],
                description="A JSON Feed 1.1 document.",
                generate_examples=False,
            ),
            **problem_responses(400),
        },
    )
    async def json(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        tag: TagParameter = None,
        author_id: AuthorParameter = None,
    ) -> Response[bytes]:
        """The latest articles as a JSON Feed 1.1 document."""
        return await self._feed(request, articles, "json", tag, author_id)
