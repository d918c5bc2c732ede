"""Response headers in the OpenAPI document: those a handler sets itself, documented with a schema.

A handler that sets a header in its ``Response`` (``Location``, the paging headers) declares
it for the document with a ``documentation_only`` ``ResponseHeader``. Litestar documents such
a header without a ``schema``, which OpenAPI 3.1 requires of every header: validators
(``openapi-spec-validator``) and client generators refuse the document. Litestar derives a
header's schema from nothing but the type of its ``value``, a value a documentation-only
header never sends; so ``response_header`` gives it one, an example of the header, which
makes its schema a string and is shown as its example.
"""

from __future__ import annotations

from typing import Annotated

from litestar.datastructures import ResponseHeader
from litestar.params import HeaderParameter


def response_header(name: str, description: str, *, example: str, required: bool = True) -> ResponseHeader:
    """A header the handler sets itself (always, unless ``required`` is false), documented with a
    string schema and ``example``."""
    return ResponseHeader(
        name=name,
        description=description,
        documentation_only=True,
        required=required,
        value=example,
        example=example,
    )


def location_header(*, example: str) -> ResponseHeader:
    """A ``201 Created``'s ``Location``, which the handler sets (``request.app.route_reverse``)."""
    return response_header("Location", "The new resource's path, where it can be read.", example=example)


VERSION_HEADERS = [
    response_header(
        "ETag",
        "The resource's current version: send it back in `If-None-Match` to revalidate a copy (304 if "
        "unchanged), or in `If-Match` to change or delete it only if nobody else has since (412 if they have).",
        example='"3f786850e387550fdab836ed7e6dc881"',
    ),
    response_header(
        "Last-Modified",
        "When the resource was last changed (its `updated_at`): for `If-Modified-Since`.",
        example="Sat, 05 Dec 2026 13:00:00 GMT",
    ),
]
"""The validators a single article or author is answered with (blog.conditional)."""

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=1000,
        description=(
            "Change it only if it is still this version: the `ETag` you read it with (or `*`: any). "
            "Otherwise 412, and nothing changes. Leave it out to write whatever the current version."
        ),
    ),
]
"""A write's precondition (RFC 9110, section 13.1.1), checked in the write's transaction (blog.service)."""
