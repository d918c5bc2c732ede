"""Listing endpoints: their query parameters (as Advanced Alchemy filters) and paging headers.

The query parameters are those of Advanced Alchemy's standard filter dependencies
(``create_filter_dependencies``), with the same names and the same filters, bounded where
Advanced Alchemy accepts what the database cannot take or the contract refuses: ``orderBy``
must name a whitelisted column (it takes any string), ``pageSize`` is capped at 100 (it has
no upper bound), ``ids`` must be bigint ids (it takes strings), ``searchString`` is bounded
and free of control characters (PostgreSQL rejects NUL), and timestamps must be ISO 8601 (it
also reads a number as Unix time, and a naive time would fail against the UTC columns).

They come from one provider per listing rather than Advanced Alchemy's one per filter:
Litestar resolves a handler's independent dependencies concurrently, a task each, and those
tasks cost a listing 40% of its time (docs/performance.md). One provider also validates all
its parameters at once, so a 400 names every bad one. A resource's own parameters (an
article's ``tag``...) join that provider through ``Listing.scope``, a function of the
listing's service: the provider then depends on the service, which depends on the session,
and Litestar resolves the three in turn, with no task at all.

The body of a listing stays a plain JSON array; the paging facts go in ``X-Total-Count``
and an RFC 8288 ``Link`` header.

Annotations here are evaluated when each provider is defined (no ``from __future__ import
annotations``): a listing's provider is made per resource, with that resource's columns.
"""

# Parameters carry the public, camelCase names of Advanced Alchemy's filters: Litestar names
# a parameter by its Python name in validation errors, so they are spelt that way here too.
# ruff: noqa: N803

import inspect
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_type_hints
from urllib.parse import urlencode

import msgspec
from advanced_alchemy.filters import (
    BeforeAfter,
    CollectionFilter,
    FilterTypes,
    LimitOffset,
    OrderBy,
    SearchFilter,
    StatementFilter,
)
from advanced_alchemy.service import find_filter
from litestar import Request, Response
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Example, OpenAPIFormat, OpenAPIType, Schema
from litestar.params import QueryParameter, SkipValidation
from msgspec import Meta
from sqlalchemy import ColumnElement

from blog.fields import ID_SCHEMA_BOUNDS, MAX_ID, ruled
from blog.openapi import response_header

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10_000_000
"""Deeper than any real client goes; keeps OFFSET far from bigint overflow."""
MAX_SEARCH_LENGTH = 200

BoundedId = Annotated[int, Meta(ge=1, le=MAX_ID)]
Filters = NamedDependency[SkipValidation[list[StatementFilter | ColumnElement[bool]]]]
"""A listing handler's ``filters`` parameter: built by the providers below, not validated again."""
SortOrder = Literal["asc", "desc"]
PAGING_PARAMETERS = frozenset({"currentPage", "pageSize"})

PAGING_HEADERS = [
    response_header(
        "X-Total-Count",
        "How many rows match the query, over all pages (a decimal integer).",
        example="42",
    ),
    response_header(
        "Link",
        'RFC 8288 links to the `first`, `prev`, `next` and `last` pages (`<url>; rel="next"`), '
        "each keeping the request's other query parameters.",
        example='<http://localhost:8000/articles?currentPage=1&pageSize=20>; rel="first", '
        '<http://localhost:8000/articles?currentPage=3&pageSize=20>; rel="last"',
    ),
]
"""A listing's headers, set by ``paged_response``."""


SearchQuery = Annotated[
    str | None,
    QueryParameter(
        description=(
            "Full-text search of the title, tags, description and content, in web-search syntax: "
            'words (each must be there), `"a phrase"`, `-word` (must not be there) and `or` between '
            "alternatives. Ranked most relevant first unless `orderBy` is given. 1 to 200 characters."
        ),
        min_length=1,
        max_length=MAX_SEARCH_LENGTH,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        examples=[Example(value='engine -steam "punched cards"')],
    ),
]
"""A listing's ``q`` parameter (a resource's own: it joins the listing through its ``scope``)."""

Condition = StatementFilter | ColumnElement[bool]
Scope = Callable[..., Awaitable[Sequence[Condition]]]
"""A resource's own listing parameters: an async function taking the listing's service (a
dependency, by its name) and query parameters, and giving the conditions they make."""


@dataclass(frozen=True)
class Listing:
    """How one resource is listed: its sortable columns, default order and search columns, and
    its own parameters (``scope``)."""

    sort_fields: tuple[str, ...]
    default_sort: str
    default_order: SortOrder
    search_fields: tuple[str, ...]
    scope: Scope | None = None

    def dependencies(self) -> dict[str, Provide]:
        """The ``filters`` dependency, for a listing handler's ``dependencies``."""
        standard = self._filters_provider()
        if self.scope is None:
            return {"filters": Provide(standard, sync_to_thread=False)}
        return {"filters": Provide(_joined(standard, self.scope))}

    def _filters_provider(self) -> Callable[..., list[FilterTypes]]:
        """One provider for all of a listing's standard parameters (why one: the module's docstring)."""
        default_sort, default_order = self.default_sort, self.default_order
        searched = set(self.search_fields)
        # The whitelist is a Literal: Litestar refuses any other column (a 400 naming `orderBy`,
        # with the other parameters' errors) and the OpenAPI document lists the allowed values.
        # The two sort parameters default to the listing's order rather than to None: a query
        # parameter is left out, never null, and a nullable enum is documented as a union with
        # null, which client generators turn into several enum classes for one parameter.
        Sortable = Literal.__getitem__(self.sort_fields)  # noqa: N806

        def provide_filters(
            currentPage: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
            pageSize: Annotated[
                int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="Rows per page, 1 to 100.")
            ] = DEFAULT_PAGE_SIZE,
            orderBy: Annotated[
                Sortable,  # type: ignore[valid-type]
                QueryParameter(description=f"Sort column (default `{default_sort}`); `id` breaks ties."),
            ] = default_sort,
            sortOrder: Annotated[
                SortOrder, QueryParameter(description=f"Sort direction (default `{default_order}`).")
            ] = default_order,
            searchString: Annotated[
                str | None,
                QueryParameter(
                    description=f"Only rows whose {' or '.join(self.search_fields)} contains this text.",
                    min_length=1,
                    max_length=MAX_SEARCH_LENGTH,
                    pattern=r"^[^\x00-\x1f\x7f]*$",
                ),
            ] = None,
            searchIgnoreCase: Annotated[bool | None, QueryParameter(description="Match regardless of case.")] = None,
            createdBefore: Annotated[str | None, _moment_query("Only rows created before this (ISO 8601).")] = None,
            createdAfter: Annotated[str | None, _moment_query("Only rows created after this (ISO 8601).")] = None,
            updatedBefore: Annotated[str | None, _moment_query("Only rows updated before this (ISO 8601).")] = None,
            updatedAfter: Annotated[str | None, _moment_query("Only rows updated after this (ISO 8601).")] = None,
            ids: Annotated[
                list[BoundedId] | None,
                QueryParameter(
                    description="Only these ids (repeat the parameter).",
                    max_items=MAX_PAGE_SIZE,
                    # Litestar documents no bounds for a list's items; these are BoundedId's.
                    schema_extra={"items": Schema(type=OpenAPIType.INTEGER, **ID_SCHEMA_BOUNDS)},
                ),
            ] = None,
        ) -> list[FilterTypes]:
            moments = {}
            errors = []
            for name, value in (
                ("createdBefore", createdBefore),
                ("createdAfter", createdAfter),
                ("updatedBefore", updatedBefore),
                ("updatedAfter", updatedAfter),
            ):
                try:
                    moments[name] = _moment(value)
                except ValueError as exc:
                    errors.append({"key": name, "message": str(exc), "source": "query"})
            if errors:
                raise ValidationException(detail="Invalid query parameters", extra=errors)
            found: list[FilterTypes | None] = [
                LimitOffset(limit=pageSize, offset=pageSize * (currentPage - 1)),
                OrderBy(field_name=orderBy, sort_order=sortOrder),
                CollectionFilter(field_name="id", values=ids) if ids else None,
                _range("created_at", moments["createdBefore"], moments["createdAfter"]),
                _range("updated_at", moments["updatedBefore"], moments["updatedAfter"]),
                # A substring match: "%" and "_" mean themselves.
                SearchFilter(searched, searchString, ignore_case=bool(searchIgnoreCase), escape_wildcards=True)
                if searchString is not None
                else None,
            ]
            return [part for part in found if part is not None]

        return provide_filters


def _joined(standard: Callable[..., list[FilterTypes]], scope: Scope) -> Callable[..., Awaitable[list[Condition]]]:
    """One provider taking the parameters of both ``standard`` and ``scope``, and giving both's conditions.

    Its signature is theirs together (keyword-only), so that Litestar validates and documents
    every parameter as declared on the two.
    """
    parts = [(function, inspect.signature(function)) for function in (standard, scope)]

    async def provide_filters(**values: Any) -> list[Condition]:
        found: list[Condition] = list(standard(**{name: values[name] for name in parts[0][1].parameters}))
        scoped = await scope(**{name: values[name] for name in parts[1][1].parameters})
        # An order of the scope's (a search's relevance) comes first: the standard one breaks its ties.
        orders = [condition for condition in scoped if isinstance(condition, OrderBy)]
        return [*orders, *found, *(condition for condition in scoped if not isinstance(condition, OrderBy))]

    parameters = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints[name])
        for function, signature in parts
        for hints in [get_type_hints(function, include_extras=True)]
        for name, parameter in signature.parameters.items()
    ]
    provide_filters.__signature__ = inspect.Signature(parameters, return_annotation=list[Condition])  # type: ignore[attr-defined]
    provide_filters.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": list[Condition]}
    return provide_filters


# The shape of an ISO 8601 date-time. Litestar checks it with the other parameters; `_moment`
# then parses the value strictly (Litestar's lenient decoding would read a number as Unix time).
_DATE_TIME = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
    r"(Z|z|[+-]([01]\d|2[0-3]):?[0-5]\d)?$"
)


def _moment_query(description: str) -> Any:
    pattern = ruled(_DATE_TIME, "must be an ISO 8601 date-time, e.g. `2025-01-31T12:00:00Z`")
    return QueryParameter(description=description, pattern=pattern, schema_extra={"format": OpenAPIFormat.DATE_TIME})


def _range(column: str, before: datetime | None, after: datetime | None) -> BeforeAfter | None:
    # None, not an empty range, when unused: the listing can then tell an unfiltered query.
    return BeforeAfter(column, before, after) if before or after else None


def _moment(value: str | None) -> datetime | None:
    """``value`` as an aware datetime; one without an offset is UTC, like every stored timestamp."""
    if value is None:
        return None
    try:
        moment = msgspec.convert(value, datetime)
    except msgspec.ValidationError:
        raise ValueError("Expected an ISO 8601 date-time, e.g. `2025-01-31T12:00:00Z`") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def paged_response(
    request: Request[Any, Any, Any],
    items: Sequence[Any],
    total: int,
    filters: Sequence[StatementFilter | ColumnElement[bool]],
) -> Response[Any]:
    """The page as a plain array, with ``X-Total-Count`` and the ``Link`` header."""
    page = find_filter(LimitOffset, filters) or LimitOffset(limit=DEFAULT_PAGE_SIZE, offset=0)
    current = page.offset // page.limit + 1
    last = max(1, math.ceil(total / page.limit))
    pages = {"first": 1, "last": last}
    if current > 1:
        pages["prev"] = min(current - 1, last)
    if current < last:
        pages["next"] = current + 1
    kept = urlencode([(k, v) for k, v in request.url.query_params.multi_items() if k not in PAGING_PARAMETERS])
    base = f"{request.url.with_replacements(query='')}?{kept}{'&' if kept else ''}"
    links = ", ".join(
        f'<{base}currentPage={number}&pageSize={page.limit}>; rel="{rel}"' for rel, number in pages.items()
    )
    return Response(items, headers={"X-Total-Count": str(total), "Link": links})
