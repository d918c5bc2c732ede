"""Every error response, in one place: RFC 9457 problem details (``application/problem+json``).

Litestar's ``ProblemDetailsPlugin`` calls these converters; they turn HTTP exceptions,
Advanced Alchemy's repository errors and anything unexpected into a ``ProblemDetailsException``
with ``type``, ``title``, ``status`` and ``detail``. Validation errors also list each invalid
field. The answers do not depend on debug mode, and a 5xx never carries a traceback, SQL or
a connection string: those go to the server log only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import msgspec
import redis.exceptions
import sqlalchemy.exc
from advanced_alchemy.exceptions import DuplicateKeyError, IntegrityError, NotFoundError, RepositoryError
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin

from blog.request_context import request_context
from blog.service import AlreadyTakenError, NotOwnerError, PreconditionFailedError, RuleError
from blog.validation import INVALID_CHOICE, choices, explained, one_of

logger = logging.getLogger("blog.errors")

CONFLICT_DETAIL = "The request conflicts with the current state of the data; nothing was written."
INTERNAL_DETAIL = "An unexpected error occurred; nothing was written."
UNAVAILABLE_DETAIL = "A service the API needs (the database, or the shared store) cannot be reached; try again shortly."
RETRY_AFTER_SECONDS = 1


class InvalidParam(msgspec.Struct):
    """One invalid input."""

    name: str
    """The field or parameter, e.g. ``first_name``."""
    reason: str
    source: str
    """Where it was: ``body``, ``query``, ``path`` or ``header``."""


class ProblemDetails(msgspec.Struct):
    """An RFC 9457 problem details body, as every error response carries it."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str
    """The request's id, as in its `X-Request-ID` header: quote it when reporting a problem."""
    invalid_params: list[InvalidParam] | msgspec.UnsetType = msgspec.UNSET
    """Validation errors only: each invalid field with the reason."""


_RESPONSE_DESCRIPTIONS = {
    400: "Invalid input: the body or a parameter breaks the contract. `invalid_params` names each one.",
    401: "No token, or one that is invalid or expired, or whose account is gone (`WWW-Authenticate: Bearer`).",
    403: "The token is valid, but the row belongs to someone else.",
    404: "No such resource.",
    409: "The request conflicts with the current state of the data (e.g. a username already taken).",
    412: "`If-Match` names a version other than the current one: someone changed it since you read it.",
    429: "Too many failed logins; `Retry-After` says when to try again.",
    413: "The request body is larger than the server accepts (1 MiB by default).",
    415: "The request body is not `application/json`.",
    503: "The database (or the shared store) cannot be reached right now; try again later.",
}


def problem_responses(*statuses: int, body: bool = False) -> dict[int, ResponseSpec]:
    """OpenAPI documentation for an operation's error responses.

    Any operation can meet an unreachable database (503); one that takes a body can also be
    refused for its size (413) or its media type (415).
    """
    statuses = (*statuses, *((413, 415) if body else ()), 503)
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            description=_RESPONSE_DESCRIPTIONS.get(status, HTTPStatus(status).description),
            media_type="application/problem+json",
            generate_examples=False,
        )
        for status in statuses
    }


class Problem(ProblemDetailsException):
    """A problem details exception whose body carries the request's id (``request_id``)."""

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        explain_choices(self, request)
        response = super().to_response(request)
        response.content["request_id"] = request_context(request.scope).request_id
        return response


def problem(status: int, detail: str, *, extra: dict[str, Any] | None = None) -> ProblemDetailsException:
    """A problem details exception with the status's standard phrase as its title."""
    return Problem(
        status_code=status,
        type_="about:blank",
        title=HTTPStatus(status).phrase,
        detail=detail,
        extra=extra,
    )


# msgspec names the offending field as "... - at `$.title`" or "... field `title`".
_MSGSPEC_FIELD = re.compile(r" - at `\$\.(?P<path>[^`]+)`$|field `(?P<field>[^`]+)`")
UNRULED_PATTERN = "is not in the form the API reference gives"
"""A pattern without a rule in words (a test sees that every one has): its regex is no explanation."""


def _reason(message: str) -> str:
    reason = explained(message)
    if "matching regex" in reason:
        return UNRULED_PATTERN
    return _MSGSPEC_FIELD.sub(lambda m: "" if m["path"] else m[0], reason)


def _source(source: Any) -> str:
    return str(getattr(source, "value", source) or "body")  # Litestar passes a ParamType enum


NO_BODY = "must be a JSON object, and the request has none"
_HANDLERS_BODY = "data"
"""What Litestar calls a request's body in its errors: the name of a handler's parameter."""


def _invalid_param(error: Mapping[str, Any]) -> dict[str, str]:
    message = str(error.get("message", ""))
    name = error.get("key")
    if not name and (found := _MSGSPEC_FIELD.search(message)):
        name = found["path"] or found["field"]
    if name == _HANDLERS_BODY:
        # Litestar's message for a body left out is the KeyError of its parameter: "'data'".
        name, message = "body", NO_BODY if message == repr(_HANDLERS_BODY) else message
    return {"name": str(name or "body"), "reason": _reason(message), "source": _source(error.get("source"))}


def _invalid_input(invalid: list[dict[str, str]]) -> str:
    return "Invalid input: " + "; ".join(f"{param['name']}: {param['reason']}" for param in invalid)


def _parameter_types(handler: BaseRouteHandler) -> dict[str, Any]:
    """The type of every parameter ``handler`` and its dependencies take, by name."""
    signatures = [handler.parsed_fn_signature]
    signatures += [provider.parsed_fn_signature for provider in handler.resolve_dependencies().values()]
    return {name: field.annotation for signature in signatures for name, field in signature.parameters.items()}


def explain_choices(problem: ProblemDetailsException, request: Request[Any, Any, Any]) -> None:
    """List the allowed values in ``problem``'s reasons for an invalid enum parameter (``?orderBy=``).

    msgspec's "Invalid enum value 'x'" does not say them, and the converters above are not
    told which handler's parameter it was; the request is, through its route handler.
    """
    invalid = problem.extra.get("invalid_params") if isinstance(problem.extra, dict) else None
    if not invalid or not any(param["reason"].startswith(INVALID_CHOICE) for param in invalid):
        return
    types = _parameter_types(request.route_handler)
    for param in invalid:
        enum = param["source"] != "body" and param["reason"].startswith(INVALID_CHOICE)
        if enum and (allowed := choices(types.get(param["name"]))):
            param["reason"] = one_of(allowed)
    problem.detail = _invalid_input(invalid)


def _is_invalid_input(exc: HTTPException) -> bool:
    # A body that fails to decode reaches us as a ClientException caused by msgspec.
    return isinstance(exc, ValidationException) or isinstance(exc.__cause__, SerializationException)


def _validation_errors(exc: HTTPException) -> list[dict[str, str]]:
    # Litestar reports parameter errors as a list of {"message", "key", "source"}; a body
    # that fails to decode comes as msgspec's message alone, in ``detail``.
    if isinstance(exc.extra, list):
        return [_invalid_param(error) for error in exc.extra if isinstance(error, Mapping)]
    return [_invalid_param({"message": exc.detail})]


def _sibling_errors(exc: HTTPException) -> list[HTTPException]:
    """``exc`` and the validation errors raised beside it.

    Litestar resolves a handler's independent dependencies (a listing's filters, each with
    its own query parameters) together, and raises the first error with the group of all
    as its cause; the client is told about every one.
    """
    group = exc.__cause__
    if not isinstance(group, BaseExceptionGroup):
        return [exc]
    return [error for error in group.exceptions if isinstance(error, HTTPException) and _is_invalid_input(error)]


def from_http_exception(exc: HTTPException) -> ProblemDetailsException:
    """Litestar's own errors: 400 validation, 401, 404 route, 405, 413, 429..."""
    if _is_invalid_input(exc):
        invalid = [param for error in _sibling_errors(exc) for param in _validation_errors(error)]
        converted = problem(exc.status_code, _invalid_input(invalid), extra={"invalid_params": invalid})
    else:
        converted = problem(exc.status_code, exc.detail)
    converted.headers = dict(exc.headers or {})
    if exc.status_code == HTTPStatus.UNAUTHORIZED:
        # RFC 9110: a 401 names the scheme that would be accepted.
        converted.headers.setdefault("WWW-Authenticate", "Bearer")
    return converted


def from_repository_error(exc: RepositoryError) -> ProblemDetailsException:
    """Advanced Alchemy's errors: a missing row is a 404, a violated constraint a 409.

    Advanced Alchemy wraps every failed statement, a timeout or a lost connection
    included, as an ``IntegrityError``: what the database said decides, not the wrapper.
    """
    if isinstance(exc, NotFoundError):
        return problem(HTTPStatus.NOT_FOUND, str(exc.detail))
    if isinstance(exc, NotOwnerError):
        return problem(HTTPStatus.FORBIDDEN, str(exc.detail))
    if isinstance(exc, PreconditionFailedError):
        return problem(HTTPStatus.PRECONDITION_FAILED, str(exc.detail))
    if isinstance(exc, RuleError):
        refused = [{"name": exc.field, "reason": exc.reason, "source": "path"}]
        return problem(HTTPStatus.BAD_REQUEST, f"Invalid input: {exc.detail}", extra={"invalid_params": refused})
    if isinstance(exc, AlreadyTakenError):
        taken = [{"name": field, "reason": "is already taken", "source": "body"} for field in exc.fields]
        return problem(HTTPStatus.CONFLICT, str(exc.detail), extra={"invalid_params": taken})
    if isinstance(exc, DuplicateKeyError) and isinstance(exc.__cause__, sqlalchemy.exc.IntegrityError):
        return problem(HTTPStatus.CONFLICT, str(exc.detail))  # the repository's message, naming the field
    if isinstance(exc, IntegrityError) and isinstance(exc.__cause__, sqlalchemy.exc.IntegrityError):
        # The driver's message names tables and values; keep it in the log, not the response.
        logger.info("integrity error answered with 409", exc_info=exc)
        return problem(HTTPStatus.CONFLICT, CONFLICT_DETAIL)
    return from_unexpected_error(exc)


# What a lost, stalled or overloaded database (or Redis) looks like, wrapped or not by SQLAlchemy
# and Advanced Alchemy: refused or dropped connections, connect/statement timeouts, an empty pool.
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    sqlalchemy.exc.TimeoutError,
    sqlalchemy.exc.OperationalError,
    redis.exceptions.ConnectionError,  # the shared login counters (cache.redis_url)
    redis.exceptions.TimeoutError,
)
# PostgreSQL's SQLSTATE classes for the same: connection exception (08), insufficient
# resources (53: too many connections), operator intervention (57: statement_timeout, shutdown).
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})


def _sqlstate_class(exc: BaseException | None) -> str:
    return str(getattr(exc, "sqlstate", None))[:2]


def _database_unavailable(exc: BaseException) -> bool:
    for cause in _causes(exc):
        if isinstance(cause, _UNAVAILABLE):
            return True
        if isinstance(cause, sqlalchemy.exc.DBAPIError):
            if cause.connection_invalidated or _sqlstate_class(cause.orig) in _UNAVAILABLE_SQLSTATE_CLASSES:
                return True
        elif _sqlstate_class(cause) in _UNAVAILABLE_SQLSTATE_CLASSES:
            return True  # the driver's own error, where SQLAlchemy's wrapper did not keep it
    return False


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and its chain of causes, each once."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__
    return chain


def _root_cause(exc: BaseException) -> BaseException:
    return _causes(exc)[-1]


def from_unexpected_error(exc: Exception) -> ProblemDetailsException:
    """A database that cannot answer is a 503; anything else is a bug, logged with its traceback.

    Either way the client is told nothing more than the status.
    """
    if _database_unavailable(exc):
        # One line per request, not a traceback: an outage would otherwise flood the log.
        cause = _root_cause(exc)
        logger.warning("unavailable, answered 503: %s: %s", type(cause).__name__, cause)
        unavailable = problem(HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE_DETAIL)
        unavailable.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return unavailable
    logger.error("unhandled error", exc_info=exc)
    return problem(HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL_DETAIL)


def problem_for(exc: Exception) -> ProblemDetailsException:
    """The problem details ``exc`` is answered with: the converter the plugin would choose.

    For error handlers that answer in another shape (the RealWorld API's ``{"errors": ...}``)
    on top of the same decisions: status, headers, the fields named, what is logged.
    """
    if isinstance(exc, ProblemDetailsException):
        return exc
    if isinstance(exc, HTTPException):
        return from_http_exception(exc)
    if isinstance(exc, RepositoryError):
        return from_repository_error(exc)
    return from_unexpected_error(exc)


def problem_details_plugin() -> ProblemDetailsPlugin:
    """The plugin that routes every exception through the converters above."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                HTTPException: from_http_exception,
                RepositoryError: from_repository_error,
                Exception: from_unexpected_error,
            },
        ),
    )
