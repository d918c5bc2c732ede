"""Every request's id, returned in ``X-Request-ID`` and carried by each log line; its one log line
and its metrics.

The id is the client's ``X-Request-ID`` when that is sane (1 to 64 of ``A-Za-z0-9._-``), so
that a proxy's or a caller's id can be followed through; otherwise a new one. It is made the
first time anything asks for it (``request_context``) and kept in the request's scope, so
the response header, the problem details body (blog.errors) and the log lines agree.

Two hooks, because Litestar runs middleware only on routes it matched:

- ``RequestContextMiddleware``, the outermost middleware of every route, binds the id for the
  log lines of the request (the auth middleware's, the handler's, SQLAlchemy's) and counts the
  request as in progress;
- ``RequestObserver.before_send``, a ``before_send`` hook that sees every response, the
  router's own 404s and 405s and the middleware's 401s included, adds the header, counts the
  answer under its status and writes the request's line when the last byte goes.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any, cast

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from structlog.typing import FilteringBoundLogger

from blog.conditional import CONDITIONAL_METHODS, HEAD_REQUEST, conditional_send
from blog.metrics import NOT_COUNTED, RequestMetrics
from blog.overload import Admission

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode()
"""As ASGI servers give header names: lower-case bytes."""
_STATE_KEY = "blog.request_context"


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
        sent = next((value for name, value in scope["headers"] if name == _REQUEST_ID_NAME), b"")
        request_id = sent.decode("latin-1") if SANE_REQUEST_ID.fullmatch(sent) else os.urandom(16).hex()
        context = state[_STATE_KEY] = RequestContext(request_id=request_id, started=time.perf_counter())
    return context


def _counted(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return handler is None or not handler.opt.get(NOT_COUNTED, False)


class RequestContextMiddleware(ASGIMiddleware):
    """Binds the request's id to every line logged while the route serves it; counts it in progress;
    serves it when ``admission`` gives it a turn (blog.overload); gives a read its validators
    (blog.conditional)."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, metrics: RequestMetrics, admission: Admission) -> None:
        self.metrics = metrics
        self.admission = admission

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # Bound in the request's own task (a copy of the server's context), so it ends with it.
        structlog.contextvars.bind_contextvars(request_id=request_context(scope).request_id)
        if cast("HTTPScope", scope)["method"] in CONDITIONAL_METHODS:
            send = conditional_send(scope, send)
        if not _counted(scope):
            await self.admission.serve(scope, receive, send, next_app)
            return
        in_progress = self.metrics.in_progress(cast("HTTPScope", scope)["method"], scope["path_template"])
        in_progress.inc()
        try:
            await self.admission.serve(scope, receive, send, next_app)
        finally:
            in_progress.dec()


@dataclass(frozen=True)
class RequestObserver:
    """What every response gets on its way out: the id, a count in the metrics, a log line."""

    log: FilteringBoundLogger
    metrics: RequestMetrics

    async def before_send(self, message: Message, scope: Scope) -> None:
        """``before_send``: the id on every response's headers; the count and the line once the body is sent."""
        if scope["type"] != ScopeType.HTTP:
            return
        context = request_context(scope)
        if message["type"] == "http.response.start":
            context.status = message["status"]
            # Appended to the raw list: no response sets this header itself.
            message["headers"] = [*message.get("headers", ()), (_REQUEST_ID_NAME, context.request_id.encode("latin-1"))]
            return
        if message["type"] != "http.response.body" or message.get("more_body", False):
            return
        seconds = time.perf_counter() - context.started
        # The route's template (`/authors/{author_id:int}`), never the path with its ids;
        # none for a path no route matched.
        route = scope.get("path_template")
        method = "HEAD" if HEAD_REQUEST in scope else scope["method"]  # a HEAD is served as a GET
        if _counted(scope):
            self.metrics.answered(method, route, context.status, seconds)
        client = scope.get("client")
        self.log.info(
            "request",
            method=method,
            route=route,
            status=context.status,
            duration_ms=round(seconds * 1000, 2),
            request_id=context.request_id,
            client=client[0] if client else None,
        )
