"""What the app checks on every request before a handler runs (Litestar's ``before_request``).

Two gaps in Litestar 2 are closed here, once for every route: a request body that is not
JSON gets a 415 instead of being parsed as JSON anyway, and ``OPTIONS`` lists every method
of the resource in ``Allow``.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_415_UNSUPPORTED_MEDIA_TYPE

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON_MEDIA_TYPE = re.compile(r"application/(?:[\w.-]+\+)?json")


async def before_request(request: Request[Any, Any, Any]) -> Response[None] | None:
    """The app's ``before_request`` hook: each check below, in turn.

    ``async`` though it never waits: Litestar runs a plain function hook in a worker thread,
    a thread hop on every request.
    """
    if request.method == "OPTIONS":
        return answer_options(request)
    require_json_body(request)
    return None


def require_json_body(request: Request[Any, Any, Any]) -> None:
    """Answer 415 to a request body that is not declared JSON, before the body is read.

    Litestar would decode any body as JSON whatever its ``Content-Type``; a client that
    sends a form or plain text should learn that its media type is wrong, not get a
    confusing parse error. A bodiless request without a ``Content-Type`` goes on (to a 400).
    A handler that takes other media types lists them in its ``opt["body_media_types"]``.
    """
    if request.method not in BODY_METHODS:
        return
    media_type = request.content_type[0]
    if JSON_MEDIA_TYPE.fullmatch(media_type) or media_type in request.route_handler.opt.get("body_media_types", ()):
        return
    if (
        not media_type
        and request.headers.get("content-length", "0") == "0"
        and "transfer-encoding" not in request.headers
    ):
        return
    sent = f"`{media_type}`" if media_type else "no Content-Type"
    raise HTTPException(
        status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        detail=f"The request body must be `application/json`; it was sent with {sent}.",
        headers={"Accept-Post": "application/json", "Accept-Patch": "application/json"},
    )


def answer_options(request: Request[Any, Any, Any]) -> Response[None]:
    """Answer ``OPTIONS`` with every method the requested path serves.

    Litestar 2's automatic ``OPTIONS`` handler is built before a controller's later handlers
    for the same path join the route, so its ``Allow`` names only some of them
    (litestar-org/litestar#4169, fixed in Litestar 3).
    """
    template = request.scope["path_template"]
    methods = {method for route in request.app.routes if route.path_format == template for method in route.methods}
    return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(sorted(methods))})
