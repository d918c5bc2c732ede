"""Errors under ``/api``: RealWorld's ``{"errors": {"<key>": ["<message>"]}}``, not problem details.

The decisions are the native API's (``blog.errors.problem_for``: the status, the headers,
the fields named, what is logged); only the shape and the words change. An invalid request
is a 422 here (a 400 natively), and each error is keyed by what it is about: a field, the
`token`, the `credentials`, or the resource (`article`, `profile`, `comment`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from advanced_alchemy.exceptions import NotFoundError, RepositoryError
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotAuthorizedException, NotFoundException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Operation
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.types import ExceptionHandlersMap

from blog.domain.articles.services import ARTICLE_NOT_FOUND
from blog.domain.auth.services import WrongCredentialsError
from blog.domain.authors.services import AUTHOR_NOT_FOUND
from blog.domain.comments.services import COMMENT_NOT_FOUND
from blog.domain.realworld import PATH
from blog.domain.realworld.schemas import Errors
from blog.domain.realworld.validation import realworld_reason
from blog.errors import explain_choices, problem_for
from blog.security import TokenMissingError
from blog.service import AlreadyTakenError, NotOwnerError

NOT_FOUND_KEYS = {ARTICLE_NOT_FOUND: "article", AUTHOR_NOT_FOUND: "profile", COMMENT_NOT_FOUND: "comment"}
"""The resource a missing row is, as RealWorld names it."""
STATUS_KEYS = {
    HTTPStatus.TOO_MANY_REQUESTS: "credentials",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "body",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "body",
    HTTPStatus.CONFLICT: "body",
}
"""The key of other errors, by status; ``request`` for any other (a 405, a 503...)."""


def realworld_errors(exc: Exception, problem: ProblemDetailsException) -> dict[str, list[str]]:
    """What ``exc`` (answered natively with ``problem``) says, keyed as RealWorld keys it."""
    if isinstance(exc, TokenMissingError):
        return {"token": ["is missing"]}
    if isinstance(exc, WrongCredentialsError):
        return {"credentials": ["invalid"]}
    if isinstance(exc, NotAuthorizedException):
        return {"token": ["is invalid"]}
    if isinstance(exc, NotOwnerError):
        return {exc.resource: ["forbidden"]}
    if isinstance(exc, NotFoundError):
        return {NOT_FOUND_KEYS.get(str(exc.detail), "resource"): ["not found"]}
    if isinstance(exc, AlreadyTakenError):
        return {field: ["has already been taken"] for field in exc.fields}
    invalid = problem.extra.get("invalid_params") if isinstance(problem.extra, Mapping) else None
    if invalid:
        errors: defaultdict[str, list[str]] = defaultdict(list)
        for param in invalid:
            errors[param["name"]].append(realworld_reason(param["reason"]))
        return dict(errors)
    return {STATUS_KEYS.get(HTTPStatus(problem.status_code), "request"): [problem.detail]}


def realworld_error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Errors]:
    """The exception handler of every route under ``/api``."""
    problem = problem_for(exc)
    explain_choices(problem, request)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if problem.status_code == HTTPStatus.BAD_REQUEST else problem.status_code
    return Response(
        Errors(errors=realworld_errors(exc, problem)),
        status_code=status,
        headers=problem.headers or None,
        media_type=MediaType.JSON,
    )


def unrouted_error_response(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """The app's answer to a path or a method no route serves (404, 405): RealWorld's shape
    under ``/api``, where its clients expect it, problem details elsewhere."""
    if request.url.path.startswith(f"{PATH}/"):
        return realworld_error_response(request, exc)
    return problem_for(exc).to_response(request)


APP_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    NotFoundException: unrouted_error_response,
    MethodNotAllowedException: unrouted_error_response,
}
"""For the app: these errors are raised before any route (and its router's handlers) is found."""

EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    # The same keys as the problem details plugin's, so that these win under `/api`.
    HTTPException: realworld_error_response,
    RepositoryError: realworld_error_response,
    ProblemDetailsException: realworld_error_response,
    Exception: realworld_error_response,
}

_DESCRIPTIONS = {
    401: "No token (`token: is missing`), or an invalid one (`token: is invalid`); wrong credentials at login.",
    403: "The token is valid, but the article or comment is someone else's (`article: forbidden`).",
    404: "No such article, profile or comment (`article: not found`).",
    409: "The username or e-mail address is taken (`username: has already been taken`); or what the write "
    "refers to (the article, the author) was deleted while it was being written: nothing was written.",
    422: "Invalid input: each offending field with what is wrong (`title: can't be blank`).",
    429: "Too many failed logins; `Retry-After` says when to try again.",
    503: "The database cannot be reached right now; try again later.",
}


@dataclass
class RealWorldOperation(Operation):
    """A RealWorld operation's OpenAPI description.

    Litestar documents a 400 for every operation that takes parameters; under ``/api`` an
    invalid request is a 422 instead.
    """

    def __post_init__(self) -> None:
        if self.responses:
            self.responses.pop("400", None)


def documented(*statuses: int) -> dict[str, Any]:
    """A RealWorld handler's OpenAPI arguments: its error responses.

    A 422 and a 503 can meet any: a bad parameter, a database away.
    """
    responses = {
        status: ResponseSpec(data_container=Errors, description=_DESCRIPTIONS[status], generate_examples=False)
        for status in sorted({*statuses, 422, 503})
    }
    return {"responses": responses, "operation_class": RealWorldOperation}
