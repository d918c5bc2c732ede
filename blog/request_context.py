"""Every request's id, returned in ``X-Request-ID`` and carried by each log line, and its one log line.

The id is the client's ``X-Request-ID`` when that is sane (1 to 64 of ``A-Za-z0-9._-``), so
that a proxy's or a caller's id can be followed through; otherwise a new one. It is made the
first time anything asks for it (``request_context``) and kept in the request's scope, so
the response header, the problem details body (blog.errors) and the log lines agree.

Two hooks, because Litestar runs middleware only on routes it matched:

- ``RequestContextMiddleware``, the outermost middleware of every route, binds the id for the
  log lines of the request (the auth middleware's, the handler's, SQLAlchemy's);
- ``stamp_response``, a ``before_send`` hook that sees every response, the router's own 404s
  and 405s included, adds the header and writes the request's line when the last byte goes.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_STATE_KEY = "blog.request_context"

access_log = structlog.stdlib.get_logger("blog.requests")


@dataclass(slots=True)
class RequestContext:
    """What the app knows about the request it is serving."""

    request_id: str
    started: float
    """``time.perf_counter()`` when the app first looked at the request."""
    status: int = 0


def request_context(scope: Scope) -> RequestContext:
    """The request's context, made on first use and kept in its scope's state."""
    state: dict[str, Any] = scope.setdefault("state", {})
    context: RequestContext | None = state.get(_STATE_KEY)
    if context is None:
        sent = Headers.from_scope(scope).get(REQUEST_ID_HEADER, "")
        request_id = sent if SANE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        context = state[_STATE_KEY] = RequestContext(request_id=request_id, started=time.perf_counter())
    return context


class RequestContextMiddleware(ASGIMiddleware):
    """Binds the request's id to every line logged while the route serves it."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # Bound in the request's own task (a copy of the server's context), so it ends with it.
        structlog.contextvars.bind_contextvars(request_id=request_context(scope).request_id)
        await next_app(scope, receive, send)


async def stamp_response(message: Message, scope: Scope) -> None:
    """``before_send``: the id on every response's headers, and one log line once the body is sent."""
    if scope["type"] != ScopeType.HTTP:
        return
    context = request_context(scope)
    if message["type"] == "http.response.start":
        context.status = message["status"]
        MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = context.request_id
    elif message["type"] == "http.response.body" and not message.get("more_body", False):
        client = scope.get("client")
        access_log.info(
            "request",
            method=scope["method"],
            # The route's template (`/authors/{author_id:int}`), never the path with its ids;
            # none for a path no route matched.
            route=scope.get("path_template"),
            status=context.status,
            duration_ms=round((time.perf_counter() - context.started) * 1000, 2),
            request_id=context.request_id,
            client=client[0] if client else None,
        )
