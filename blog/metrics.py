"""Prometheus metrics at ``/metrics``: requests and their latency by route, the database pool in use.

Every answer is counted under the status the client got, by method and the route's template
(``/authors/{author_id}``, never one series per id), whoever made it: a handler, the
authentication middleware (401), the router (404, 405 for a path or method no route serves,
labelled ``path="(unmatched)"``) or the error handlers (413, 415, 429, 503). The counting is
done where the response's first message is sent (``blog.request_context``), which sees them
all; Litestar's Prometheus middleware runs only on matched routes, and counts an exception's
answer as a 200. The metrics' names and labels are those it used, so dashboards carry over.

The pool gauges come from SQLAlchemy's pool events. Under several workers, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the server starts: every worker
then writes its numbers there and ``/metrics`` adds them up, whichever worker answers
(docs/observability.md).
"""

from __future__ import annotations

import os
from typing import Any

from litestar.plugins.prometheus import PrometheusController
from prometheus_client import Counter, Gauge, Histogram, multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.overload import NEVER_REFUSED
from blog.security import PUBLIC

METRICS_PATH = "/metrics"
PREFIX = "blog"
APP_NAME = "blog"
UNMATCHED = "(unmatched)"
"""The ``path`` label of an answer to a path no route serves: one series, whatever the path."""
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
NOT_COUNTED = "not_counted"
"""A handler's ``opt`` key: its answers stay out of the metrics (``/metrics`` itself)."""
LABELS = ("method", "path", "status_code", "app_name")

requests_total = Counter(f"{PREFIX}_requests_total", "Total requests", LABELS)
request_duration = Histogram(f"{PREFIX}_request_duration_seconds", "Request duration, in seconds", LABELS)
requests_in_progress = Gauge(
    f"{PREFIX}_requests_in_progress",
    "Requests being served (status_code is always 200: the label is kept for existing dashboards)",
    LABELS,
    multiprocess_mode="livesum",
)
requests_errors = Counter(f"{PREFIX}_requests_error_total", "Total errors in requests (5xx)", LABELS)

# "livesum": under several workers, the sum over the live ones.
pool_in_use = Gauge(
    f"{PREFIX}_db_pool_connections_in_use",
    "Database connections checked out of the pool, i.e. in use by a request.",
    multiprocess_mode="livesum",
)
pool_size = Gauge(
    f"{PREFIX}_db_pool_size",
    "Database connections the pool keeps (pool_size), summed over the workers.",
    multiprocess_mode="livesum",
)


class RequestMetrics:
    """Counts and times answers, each series' labelled children looked up once.

    ``Counter.labels(...)`` validates and locks on every call; a route has few series
    (methods x statuses), so their children are kept here after the first answer.
    """

    def __init__(self) -> None:
        self._answered: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        self._in_progress: dict[tuple[str, str], Any] = {}

    def in_progress(self, method: str, path: str) -> Any:
        """The gauge of requests being served on this route."""
        gauge = self._in_progress.get((method, path))
        if gauge is None:
            gauge = self._in_progress[method, path] = requests_in_progress.labels(method, path, 200, APP_NAME)
        return gauge

    def answered(self, method: str, path: str | None, status: int, seconds: float) -> None:
        """Count one answer and its duration."""
        key = (method, path or UNMATCHED, status)
        children = self._answered.get(key)
        if children is None:
            labels = (method, path or UNMATCHED, status, APP_NAME)
            errors = requests_errors.labels(*labels) if status >= 500 else None
            children = self._answered[key] = (requests_total.labels(*labels), request_duration.labels(*labels), errors)
        count, duration, errors = children
        count.inc()
        duration.observe(seconds)
        if errors is not None:
            errors.inc()


class MetricsController(PrometheusController):
    """``GET /metrics``: public, and no operation of the API (it is not in the OpenAPI document)."""

    path = METRICS_PATH
    include_in_schema = False
    opt = {**PUBLIC, NOT_COUNTED: True, NEVER_REFUSED: True}


def count_pool_connections(engine: AsyncEngine, size: int) -> None:
    """Keep the pool gauges in step with ``engine``'s pool."""
    pool_size.set(size)

    def checked_out(*_: Any) -> None:
        pool_in_use.inc()

    def checked_in(*_: Any) -> None:
        pool_in_use.dec()

    event.listen(engine.sync_engine, "checkout", checked_out)
    event.listen(engine.sync_engine, "checkin", checked_in)


def forget_this_process() -> None:
    """On shutdown under several workers: this worker's gauges leave the sums."""
    if MULTIPROCESS_DIR_ENV in os.environ:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
