"""Validators and conditional reads, once for every route (RFC 9110, section 13).

A ``GET`` answered 200 gets a strong ``ETag``: a hash of the body it sends, so it changes
exactly when the body would (a new favourite's count included), and computing it costs no
statement. Then, as RFC 9110 orders them: a matching ``If-None-Match`` (weak comparison,
a list, or ``*``) makes the answer a 304 with no body; without ``If-None-Match``, an
``If-Modified-Since`` no older than the response's ``Last-Modified`` (which handlers set
where they know it) does too. A 304 keeps the headers a cache needs (``ETag``,
``Last-Modified``, ``Cache-Control``, ``Vary``...) and drops those of the body.

Each such answer also says how caches may keep it (RFC 9111): ``Cache-Control: no-cache``
(a shared cache may store it, and revalidates it with the ``ETag`` before each use), or
``private, no-cache`` when the request carried ``Authorization``, since the answer may then
be the caller's own (``/auth/me``, a draft to its author, RealWorld's ``favorited``); and
``Vary: Authorization`` always, since the same URL can answer differently with a token.

It wraps the response's ``send`` (``RequestContextMiddleware``): the body is only known once
the handler has rendered it. A streamed body (sent in several parts) is left alone. A
handler that knows its resource's version (a single article or author: ``validator``) sets
the ``ETag`` itself, so that ``If-Match`` on a write can be checked against the same value
in the write's own transaction (blog.service); the body is then not hashed.

``HEAD`` is served as the ``GET`` of the same path with the body left out (``head_as_get``),
before routing, so that every ``GET`` path answers it with the same status and headers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, cast

import msgspec
from litestar.types import HTTPScope, Message, Scope, Send

CONDITIONAL_METHODS = frozenset({"GET", "HEAD"})
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"content-encoding", b"transfer-encoding"})
_OK = 200
_NOT_MODIFIED = 304
CACHE_PUBLIC = "no-cache"
"""A read anyone gets alike: caches may keep it, and revalidate it before each use."""
CACHE_PRIVATE = "private, no-cache"
"""A read made with a token: only the caller's own cache may keep it."""
_CACHE_PUBLIC = CACHE_PUBLIC.encode()
_CACHE_PRIVATE = CACHE_PRIVATE.encode()
_VARY = (b"vary", b"Authorization")
_VALIDATOR_HEADERS = frozenset({b"etag", b"last-modified", b"cache-control"})


def entity_tag(body: bytes) -> str:
    """A strong validator for ``body``: 128 bits of BLAKE2b, quoted."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


_encode = msgspec.json.Encoder(enc_hook=str).encode


def validator(values: Iterable[Any]) -> str:
    """A strong validator of a resource from the values its body is made of (a row's columns):
    it changes whenever the body would, and is known without rendering the body."""
    return entity_tag(_encode(list(values)))


def http_date(moment: datetime) -> str:
    """``moment`` as HTTP writes dates (``Last-Modified``): ``Sat, 05 Dec 2026 13:00:00 GMT``."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def if_match(header: str, tag: str) -> bool:
    """Whether ``If-Match: header`` holds for the current ``tag`` (strong comparison: a weak
    ``W/`` tag never matches; ``*`` matches any existing resource)."""
    return any(candidate.strip() in ("*", tag) for candidate in header.split(","))


def _opaque(tag: str) -> str:
    # Weak comparison: W/"x" and "x" match.
    return tag.strip().removeprefix("W/")


def none_match(header: str, tag: str) -> bool:
    """Whether ``If-None-Match: header`` matches ``tag`` (weak comparison; ``*`` matches any)."""
    wanted = _opaque(tag)
    return any(candidate.strip() == "*" or _opaque(candidate) == wanted for candidate in header.split(","))


def modified_since(header: str, last_modified: str) -> bool:
    """Whether the resource changed after ``If-Modified-Since: header`` (an unreadable date: it did)."""
    try:
        since, modified = parsedate_to_datetime(header), parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return True
    return modified > since


def _request_header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def conditional_send(scope: Scope, send: Send) -> Send:
    """``send`` for a ``GET``: the 200's start held back until its body is known, then sent with
    an ``ETag``, or turned into a 304 if the request's preconditions say the client has it."""
    held: dict[str, Any] = {}

    async def send_with_validators(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == _OK:
            held["start"] = message
            return
        start = held.pop("start", None)
        if start is None:
            await send(message)
            return
        if message["type"] != "http.response.body" or message.get("more_body", False):
            await send(start)  # streamed: no validator
            await send(message)
            return
        # The start's own header list, read once and extended: on every read, this is cheaper
        # than a headers object (each of its lookups walks the list again).
        headers: list[tuple[bytes, bytes]] = list(start.get("headers", ()))
        found = {name.lower(): value for name, value in headers if name.lower() in _VALIDATOR_HEADERS}
        tag = found.get(b"etag")
        if tag is None:
            tag = entity_tag(message.get("body", b"")).encode("latin-1")
            headers.append((b"etag", tag))
        if b"cache-control" not in found:
            private = _request_header(scope, b"authorization") is not None
            headers.append((b"cache-control", _CACHE_PRIVATE if private else _CACHE_PUBLIC))
        headers.append(_VARY)
        last_modified = found.get(b"last-modified")
        modified = None if last_modified is None else last_modified.decode("latin-1")
        if _not_modified(scope, tag.decode("latin-1"), modified):
            start["status"] = _NOT_MODIFIED
            start["headers"] = [(name, value) for name, value in headers if name.lower() not in _BODY_HEADERS]
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        start["headers"] = headers
        await send(start)
        await send(message)

    return send_with_validators


def _not_modified(scope: Scope, tag: str, last_modified: str | None) -> bool:
    if (if_none_match := _request_header(scope, b"if-none-match")) is not None:
        return none_match(if_none_match, tag)
    if last_modified is not None and (if_modified_since := _request_header(scope, b"if-modified-since")) is not None:
        return not modified_since(if_modified_since, last_modified)
    return False


def head_as_get(scope: HTTPScope, send: Send) -> tuple[HTTPScope, Send]:
    """A ``HEAD`` request as the ``GET`` it asks about, and a ``send`` that leaves the body out.

    The scope is copied, not changed: the server keeps its own, and with it knows the request
    was a ``HEAD`` (uvicorn then expects no body whatever ``Content-Length`` says).
    """

    async def send_without_body(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return cast("HTTPScope", {**scope, "method": "GET", HEAD_REQUEST: True}), send_without_body


HEAD_REQUEST = "blog.head"
"""The scope key marking a ``HEAD`` served as a ``GET`` (the log line and metrics say ``HEAD``)."""
