"""The reference floor: the benchmark's reads answered with no framework and no ORM.

The same rows as the app's answers to an anonymous reader (an article with every column its
answer carries and its tags, read in the article's own statement, public articles only, a
page newest published first; an author without the e-mail address), in the same JSON.

A bare ASGI app on asyncpg (a connection pool; each query is prepared once per connection
by asyncpg's statement cache) and msgspec, served by
the same uvicorn as the app: ``uvicorn bench.floor:app``. It is what one Python process can
do against this database, the yardstick the app's figures are divided by.
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg
import msgspec

COLUMNS = (
    "id, slug, title, description, content, content_html, status, published_at, author_id, favorites_count, "
    "created_at, updated_at"
)
# Who may read an article (version 4): a read by id and a page ask for public articles, as the
# app's anonymous reads do, and a page lists the newest published first, on the index the app's uses.
PUBLIC = "status = 'published' AND published_at <= now()"
# An article's tag names, in order, as one column of the article's row: the cheapest way a
# bare driver can read them (one statement, one round trip).
TAGS = (
    "coalesce((SELECT array_agg(tag.name ORDER BY article_tag.position) FROM article_tag "
    "JOIN tag ON tag.id = article_tag.tag_id WHERE article_tag.article_id = article.id), '{}') AS tags"
)
QUERIES = {
    "article": f"SELECT {COLUMNS}, {TAGS} FROM article WHERE id = $1 AND {PUBLIC}",
    "articles": f"SELECT {COLUMNS}, {TAGS} FROM article WHERE {PUBLIC} ORDER BY published_at DESC, id DESC LIMIT 20",
    "author": "SELECT id, username, first_name, last_name, bio, image, created_at, updated_at "
    "FROM author WHERE id = $1",
}
JSON = [(b"content-type", b"application/json")]
pool: asyncpg.Pool | None = None


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": JSON})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool  # the floor is deliberately bare: one module-level pool
    if scope["type"] == "lifespan":
        await receive()
        pool = await asyncpg.create_pool(os.environ["FLOOR_DSN"], min_size=10, max_size=10)
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await pool.close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    assert pool is not None
    parts = scope["path"].strip("/").split("/")
    async with pool.acquire() as connection:
        if parts == ["articles"]:
            articles = [dict(row) for row in await connection.fetch(QUERIES["articles"])]
            await _answer(send, 200, msgspec.json.encode(articles))
            return
        if len(parts) == 2 and parts[0] in ("articles", "authors") and parts[1].isdigit():
            row = await connection.fetchrow(QUERIES[parts[0][:-1]], int(parts[1]))
            await _answer(send, 200 if row else 404, msgspec.json.encode(dict(row) if row else {}))
            return
        await _answer(send, 200, b'{"status":"ok"}')  # /healthcheck, for the benchmark's start-up wait
