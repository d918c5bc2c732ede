"""``/api``: the RealWorld ("Conduit") API, as one Litestar router.

The router gives every route under it RealWorld's error shape (``EXCEPTION_HANDLERS``) and
checks RealWorld request bodies before Litestar decodes them (``check_request``), so that
one 422 names every bad field in RealWorld's words.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router
from litestar.exceptions import ValidationException

from blog.domain.realworld import PATH
from blog.domain.realworld.controllers import (
    ArticlesController,
    CommentsController,
    CurrentUserController,
    ProfileController,
    TagsController,
    UsersController,
)
from blog.domain.realworld.errors import EXCEPTION_HANDLERS
from blog.domain.realworld.validation import envelope_errors
from blog.request_hooks import before_request


def _envelope(request: Request[Any, Any, Any]) -> type[msgspec.Struct] | None:
    """The struct the handler's body (``data``) is, if it takes one."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    kind = data.annotation if data is not None else None
    return kind if isinstance(kind, type) and issubclass(kind, msgspec.Struct) else None


async def check_request(request: Request[Any, Any, Any]) -> Response[None] | None:
    """The app's checks (``blog.request_hooks``), then the body's fields, all of them at once."""
    if (answer := await before_request(request)) is not None:
        return answer
    if (envelope := _envelope(request)) is None:
        return None
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        raise ValidationException(extra=[{"key": "body", "message": "is not valid JSON", "source": "body"}]) from None
    if errors := envelope_errors(body, envelope):
        raise ValidationException(
            detail="Invalid request body",
            extra=[
                {"key": key, "message": message, "source": "body"}
                for key, messages in errors.items()
                for message in messages
            ],
        )
    return None


def realworld_router() -> Router:
    """Every RealWorld operation, under ``/api``."""
    return Router(
        path=PATH,
        route_handlers=[
            UsersController,
            CurrentUserController,
            ProfileController,
            ArticlesController,
            CommentsController,
            TagsController,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=check_request,
    )
