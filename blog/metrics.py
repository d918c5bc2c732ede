"""Prometheus metrics at ``/metrics``: requests and their latency by route, the database pool in use.

Litestar's Prometheus plugin counts each request and times it, labelled by method, status and
the route's template (``/authors/{author_id}``, never one series per id). The pool gauges come
from SQLAlchemy's pool events. Under several workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory before the server starts: every worker then writes its numbers there and
``/metrics`` adds them up, whichever worker answers (docs/observability.md).
"""

from __future__ import annotations

import os
from typing import Any

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Gauge, multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.security import PUBLIC

METRICS_PATH = "/metrics"
PREFIX = "blog"
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

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


def prometheus_config() -> PrometheusConfig:
    """The middleware's configuration: every route but ``/metrics`` itself, grouped by its template."""
    return PrometheusConfig(app_name=PREFIX, prefix=PREFIX, group_path=True, exclude=[f"^{METRICS_PATH}$"])


class MetricsController(PrometheusController):
    """``GET /metrics``: public, and no operation of the API (it is not in the OpenAPI document)."""

    path = METRICS_PATH
    include_in_schema = False
    opt = PUBLIC


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
