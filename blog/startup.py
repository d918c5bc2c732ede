"""What stops the app before it serves, said in two lines: the problem, and its fix.

A bad setting, a database that cannot be reached or does not exist, a schema behind the
migrations: each is a ``StartupError``. The process's entry points (``create_app()`` with no
argument, ``blog.asgi.production_app``, ``litestar run``) print it and exit with status 3,
uvicorn's code for a failed start-up, on which its supervisor stops instead of restarting
workers that would fail the same way. With debug on (``APP_DEBUG=true``, ``litestar run
--debug``) the traceback is shown instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType

STARTUP_FAILURE = 3
"""The exit status of a process that could not start (uvicorn's ``STARTUP_FAILURE``)."""
_TRUE = frozenset({"1", "true", "yes", "on"})


class StartupError(Exception):
    """The app cannot start. ``str()`` is the problem; ``fix`` says what to do about it."""

    fix = "See README.md."

    def __init__(self, problem: str, *, fix: str | None = None) -> None:
        super().__init__(problem)
        if fix is not None:
            self.fix = fix


def debug_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """``APP_DEBUG`` or Litestar's ``--debug`` (``LITESTAR_DEBUG``), read before any setting is."""
    return environ.get("APP_DEBUG", "").strip().lower() in _TRUE or environ.get("LITESTAR_DEBUG") == "1"


def report(error: StartupError) -> None:
    """The two lines a person reads: on stderr, whatever the log format (the settings that
    choose it may be what is wrong)."""
    print(f"error: {error}\nfix: {error.fix}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def exit_on_startup_error(debug: Callable[[], bool]) -> Iterator[None]:
    """Turn a ``StartupError`` into two lines on stderr and exit status 3, unless ``debug()``."""
    try:
        yield
    except StartupError as error:
        if debug():
            raise
        report(error)
        raise SystemExit(STARTUP_FAILURE) from None


def install_cli_excepthook(describe: Callable[[BaseException], StartupError | None]) -> None:
    """Report a failure that ``describe`` recognises (a database that cannot be reached, say)
    in two lines rather than a traceback, for the ``litestar`` commands (``database upgrade``...).
    """
    previous = sys.excepthook

    def excepthook(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
        known = error if isinstance(error, StartupError) else describe(error)
        if known is None or debug_requested():
            previous(kind, error, traceback)
            return
        report(known)

    sys.excepthook = excepthook
