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

from litestar.datastructures import ResponseHeader


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
