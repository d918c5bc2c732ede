"""Logs: the app's, the server's and SQLAlchemy's lines in one format, each written once.

structlog renders every record, the standard library's included (uvicorn, SQLAlchemy,
Alembic and the app's own loggers), through one handler on stderr: one JSON object a line,
or coloured lines for a person when stderr is a terminal (``app.log_format``). Whatever is
bound with ``structlog.contextvars`` while a request is served (its id: blog.request_context)
is added to every line logged meanwhile.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from blog.settings import Settings

REDACTED = "[redacted]"
SENSITIVE_KEYS = frozenset({"password", "token", "access_token", "authorization", "cookie", "secret", "body"})
"""Keys a line never carries with their value, should any code pass one: a guard, not the rule
(nothing logs a body, a password, a token or the signing key in the first place)."""


def _redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key in event_dict.keys() & SENSITIVE_KEYS:
        event_dict[key] = REDACTED
    return event_dict


SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _redact,
]
"""What every line gets, whether it was logged through structlog or the standard library."""


def _renderers(console: bool) -> list[Processor]:
    if console:
        return [structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.dev.ConsoleRenderer()]
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,  # the traceback as one JSON string
        structlog.processors.JSONRenderer(),
    ]


def configure_logging(settings: Settings) -> None:
    """Route every logger of the process through one structlog formatter on stderr."""
    log_format = settings.app.log_format
    console = log_format == "console" or (log_format == "auto" and sys.stderr.isatty())
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # The servers' loggers lose their own handlers and go through the root's: one format, once.
    through_root: dict[str, Any] = {"handlers": [], "propagate": True}
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structlog": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "foreign_pre_chain": SHARED,
                    "processors": _renderers(console),
                }
            },
            "handlers": {
                "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "structlog"}
            },
            "root": {"handlers": ["stderr"], "level": "INFO"},
            "loggers": {
                "uvicorn": {**through_root, "level": "INFO"},
                "uvicorn.error": {**through_root, "level": "INFO"},
                # The app logs each request itself (blog.request_context), with its id and route.
                "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
                "_granian": {**through_root, "level": "INFO"},
                "granian.access": {"handlers": [], "propagate": False, "level": "WARNING"},
                # `database.echo`: every statement, without its parameters (hide_parameters).
                "sqlalchemy.engine": {**through_root, "level": "INFO" if settings.database.echo else "WARNING"},
                "alembic": {**through_root, "level": "INFO"},
            },
        }
    )
