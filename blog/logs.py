"""Logs: the app's, the server's and SQLAlchemy's lines in one format, each written once.

structlog renders every record, the standard library's included (uvicorn, Granian, SQLAlchemy,
Alembic and the app's own loggers), through one handler on stderr: one JSON object a line,
or coloured lines for a person when stderr is a terminal (``app.log_format``). Whatever is
bound with ``structlog.contextvars`` while a request is served (its id: blog.request_context)
is added to every line logged meanwhile.

A server's supervisor process never builds the app, so it is given the same configuration
as a file: ``blog/logging.json`` (``--log-config``, docs/serving.md), equal to
``server_logging_config()``. Each worker applies the file, then ``configure_logging`` again
when it builds the app: the same handler replaces the same handler, and nothing is doubled.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any, Literal

import msgspec
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from blog.settings import Settings, SettingsError, load_settings

LogFormat = Literal["auto", "json", "console"]

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


def _console(log_format: LogFormat) -> bool:
    return log_format == "console" or (log_format == "auto" and sys.stderr.isatty())


def _configured_format() -> LogFormat:
    try:
        return load_settings().app.log_format
    except SettingsError:
        # The app reports the setting in two lines when it is built (blog.startup).
        return "auto"


def formatter(log_format: LogFormat | None = None) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every standard-library line: ``log_format``, or ``app.log_format`` from
    the settings when a server's log config names it without one (``blog/logging.json``)."""
    console = _console(log_format or _configured_format())
    return structlog.stdlib.ProcessorFormatter(foreign_pre_chain=SHARED, processors=_renderers(console))


REQUEST_LOGGER = "blog.requests"
_json = msgspec.json.Encoder(enc_hook=str)


def _to_json_bytes(_: WrappedLogger, __: str, event_dict: EventDict) -> bytes:
    return _json.encode(event_dict)


def request_log(settings: Settings) -> FilteringBoundLogger:
    """The logger of the one line each request gets, on structlog's own path to stderr.

    Every other line goes through the standard library's ``logging`` (the servers' and
    SQLAlchemy's must), whose records, handler locks and formatter cost a request ~10% of
    its time when they carry its line. This one is rendered straight to bytes (msgspec) and
    written in one call, in the same format and with the same keys as the rest.
    """
    if _console(settings.app.log_format):
        processors: list[Processor] = [
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(),
        ]
        logger: Any = structlog.PrintLogger(sys.stderr)
    else:
        processors = [
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _to_json_bytes,
        ]
        logger = structlog.BytesLogger(sys.stderr.buffer)
    bound = structlog.wrap_logger(
        logger, processors=processors, wrapper_class=structlog.make_filtering_bound_logger(logging.INFO)
    )
    return bound.bind(logger=REQUEST_LOGGER)  # type: ignore[no-any-return]


def server_logging_config() -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for a server process: ``blog/logging.json`` holds it, as
    JSON for uvicorn's and Granian's ``--log-config`` (a test checks that they agree)."""

    # The servers' loggers lose their own handlers and go through the root's: one format, once.
    def through_root() -> dict[str, Any]:
        return {"handlers": [], "propagate": True, "level": "INFO"}

    # The app logs each request itself (blog.request_context), with its id and route.
    def silenced() -> dict[str, Any]:
        return {"handlers": [], "propagate": False, "level": "WARNING"}

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structlog": {"()": "blog.logs.formatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "structlog"}
        },
        "root": {"handlers": ["stderr"], "level": "INFO"},
        "loggers": {
            "uvicorn": through_root(),
            "uvicorn.error": through_root(),
            "uvicorn.access": silenced(),
            "_granian": through_root(),
            "granian.access": silenced(),
            # Alembic names each of its plugins as it is imported, before the app is built.
            "alembic.runtime.plugins": {"handlers": [], "propagate": True, "level": "WARNING"},
        },
    }


def configure_logging(settings: Settings) -> None:
    """Route every logger of the process through one structlog formatter on stderr."""
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    config = server_logging_config()
    config["formatters"]["structlog"]["log_format"] = settings.app.log_format
    through_root: dict[str, Any] = {"handlers": [], "propagate": True}
    config["loggers"] |= {
        # `database.echo`: every statement, without its parameters (hide_parameters).
        "sqlalchemy.engine": {**through_root, "level": "INFO" if settings.database.echo else "WARNING"},
        "alembic": {**through_root, "level": "INFO"},
    }
    logging.config.dictConfig(config)
