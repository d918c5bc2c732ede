"""Listing endpoints: their query parameters (as filters) and their paging headers.

The query parameters are those of Advanced Alchemy's standard filter dependencies
(``create_filter_dependencies``), with the same names and the same filters, provided as one
dependency and bounded where Advanced Alchemy accepts what the database cannot take:
``orderBy`` must name a whitelisted column (it accepts any string), ``pageSize`` is capped
at 100 (it has no upper bound), ``ids`` must be bigint ids (it takes strings), and
``searchString`` is bounded and free of control characters (PostgreSQL rejects NUL).
The body of a listing stays a plain JSON array; the paging facts go in ``X-Total-Count``
and an RFC 8288 ``Link`` header.
"""

# Parameters carry the public, camelCase names of Advanced Alchemy's filters.
# ruff: noqa: N803

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast
from urllib.parse import urlencode

import msgspec
from advanced_alchemy.filters import (
    BeforeAfter,
    CollectionFilter,
    ComparisonFilter,
    FilterTypes,
    LimitOffset,
    OrderBy,
    SearchFilter,
    StatementFilter,
)
from advanced_alchemy.service import find_filter
from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import QueryParameter, SkipValidation
from msgspec import Meta

from blog.models import ID_BOUNDS, ID_SCHEMA_BOUNDS, MAX_ID

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10_000_000
"""Deeper than any real client goes; keeps OFFSET far from bigint overflow."""
MAX_SEARCH_LENGTH = 200

BoundedId = Annotated[int, Meta(ge=1, le=MAX_ID)]
# The filters a handler receives: built by the providers below, so not validated again.
Filters = NamedDependency[SkipValidation[list[FilterTypes]]]
SortOrder = Literal["asc", "desc"]

PAGING_HEADERS = [
    ResponseHeader(
        name="X-Total-Count",
        description="How many rows match the query, over all pages.",
        documentation_only=True,
    ),
    ResponseHeader(
        name="Link",
        description=(
            'RFC 8288 links to the `first`, `prev`, `next` and `last` pages (`<url>; rel="next"`), '
            "each keeping the request's other query parameters."
        ),
        documentation_only=True,
    ),
]


@dataclass(frozen=True)
class Listing:
    """How one resource is listed: its sortable columns, default order and search columns."""

    sort_fields: tuple[str, ...]
    default_sort: str
    default_order: SortOrder
    search_fields: tuple[str, ...]

    def dependencies(self, *extra: Callable[..., StatementFilter | None]) -> dict[str, Provide]:
        """The ``filters`` dependency: the listing's query parameters as Advanced Alchemy filters.

        ``extra`` providers add filters of their own (with their own query parameters).
        """
        parts: list[Callable[..., StatementFilter | None]] = [
            provide_id_filter,
            provide_created_filter,
            provide_limit_offset,
            provide_updated_filter,
            self._search_provider(),
            self._order_by_provider(),
            *extra,
        ]
        return {"filters": Provide(_all_of(parts), sync_to_thread=False)}

    def _order_by_provider(self) -> Callable[..., OrderBy]:
        def provide_order_by(orderBy: Any = None, sortOrder: Any = None) -> OrderBy:
            return OrderBy(field_name=orderBy or self.default_sort, sort_order=sortOrder or self.default_order)

        # The whitelist is a Literal, so Litestar rejects any other column with a 400 and the
        # OpenAPI document lists the allowed values.
        field_type: Any = Literal.__getitem__(self.sort_fields)
        description = f"Sort column (default `{self.default_sort}`); `id` breaks ties."
        return _with_parameters(
            provide_order_by,
            orderBy=Annotated[field_type | None, QueryParameter(description=description)],
            sortOrder=Annotated[
                SortOrder | None, QueryParameter(description=f"Sort direction (default `{self.default_order}`).")
            ],
        )

    def _search_provider(self) -> Callable[..., SearchFilter | None]:
        fields = set(self.search_fields)

        def provide_search(searchString: Any = None, searchIgnoreCase: Any = None) -> SearchFilter | None:
            if searchString is None:
                return None
            return SearchFilter(
                field_name=fields,
                value=searchString,
                ignore_case=bool(searchIgnoreCase),
                escape_wildcards=True,  # a substring match: "%" and "_" mean themselves
            )

        return _with_parameters(
            provide_search,
            searchString=Annotated[
                str | None,
                QueryParameter(
                    description=f"Only rows whose {' or '.join(self.search_fields)} contains this text.",
                    min_length=1,
                    max_length=MAX_SEARCH_LENGTH,
                    pattern=r"^[^\x00-\x1f\x7f]*$",
                ),
            ],
            searchIgnoreCase=Annotated[bool | None, QueryParameter(description="Match regardless of case.")],
        )


def _all_of(providers: Sequence[Callable[..., StatementFilter | None]]) -> Callable[..., list[FilterTypes]]:
    """One provider calling each of ``providers`` with its query parameters; the filters they return.

    They are Advanced Alchemy's filter dependencies, provided as one: Litestar resolves a
    handler's independent dependencies concurrently, each in a task of its own, which cost a
    listing more than all its filters do (README, "Performance").
    """
    signatures = [inspect.signature(provider) for provider in providers]
    calls = [(provider, tuple(signature.parameters)) for provider, signature in zip(providers, signatures, strict=True)]

    def provide_filters(**query: Any) -> list[FilterTypes]:
        found = (provider(**{name: query[name] for name in names}) for provider, names in calls)
        return [cast("FilterTypes", part) for part in found if part is not None]

    parameters = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for signature in signatures
        for parameter in signature.parameters.values()
    ]
    provide_filters.__signature__ = inspect.Signature(parameters, return_annotation=list[FilterTypes])  # type: ignore[attr-defined]
    provide_filters.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": list[FilterTypes]}
    return provide_filters


def _with_parameters(provider: Callable[..., Any], **annotations: Any) -> Callable[..., Any]:
    """Give ``provider``'s parameters (all defaulting to None) the annotations Litestar reads."""
    signature = inspect.signature(provider)
    provider.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(annotation=annotations[p.name]) for p in signature.parameters.values()]
    )
    provider.__annotations__ = {**annotations, "return": signature.return_annotation}
    return provider


def provide_limit_offset(
    currentPage: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    pageSize: Annotated[
        int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="Rows per page, 1 to 100.")
    ] = DEFAULT_PAGE_SIZE,
) -> LimitOffset:
    return LimitOffset(limit=pageSize, offset=pageSize * (currentPage - 1))


def provide_id_filter(
    ids: Annotated[
        list[BoundedId] | None,
        QueryParameter(
            description="Only these ids (repeat the parameter).",
            max_items=MAX_PAGE_SIZE,
            # Litestar documents no bounds for a list's items; these are BoundedId's.
            schema_extra={"items": Schema(type=OpenAPIType.INTEGER, **ID_SCHEMA_BOUNDS)},
        ),
    ] = None,
) -> CollectionFilter[int] | None:
    return CollectionFilter(field_name="id", values=ids) if ids else None


def _moment_query(description: str) -> Any:
    # A timestamp is taken as a string and parsed strictly by `_moment`: Litestar's lenient
    # query decoding would also read a number as Unix time, which `date-time` is not.
    return QueryParameter(description=description, schema_extra={"format": OpenAPIFormat.DATE_TIME})


def provide_created_filter(
    createdBefore: Annotated[str | None, _moment_query("Only rows created before this (ISO 8601).")] = None,
    createdAfter: Annotated[str | None, _moment_query("Only rows created after this (ISO 8601).")] = None,
) -> BeforeAfter | None:
    return _range("created_at", _moment("createdBefore", createdBefore), _moment("createdAfter", createdAfter))


def provide_updated_filter(
    updatedBefore: Annotated[str | None, _moment_query("Only rows updated before this (ISO 8601).")] = None,
    updatedAfter: Annotated[str | None, _moment_query("Only rows updated after this (ISO 8601).")] = None,
) -> BeforeAfter | None:
    return _range("updated_at", _moment("updatedBefore", updatedBefore), _moment("updatedAfter", updatedAfter))


def _range(column: str, before: datetime | None, after: datetime | None) -> BeforeAfter | None:
    # None, not an empty range, when unused: the listing can then tell an unfiltered query.
    return BeforeAfter(column, before, after) if before or after else None


def _moment(parameter: str, value: str | None) -> datetime | None:
    """``value`` as an aware datetime; one without an offset is UTC, like every stored timestamp."""
    if value is None:
        return None
    try:
        moment = msgspec.convert(value, datetime)
    except msgspec.ValidationError:
        reason = "Expected an ISO 8601 date-time, e.g. `2025-01-31T12:00:00Z`"
        raise ValidationException(
            detail=f"Invalid {parameter}", extra=[{"key": parameter, "message": reason, "source": "query"}]
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def provide_author_filter(
    author_id: Annotated[int | None, QueryParameter(**ID_BOUNDS, description="Only this author's articles.")] = None,
) -> ComparisonFilter | None:
    return of_author(author_id) if author_id is not None else None


def of_author(author_id: int) -> ComparisonFilter:
    """Only this author's rows: an equality, which (unlike a one-value ``IN``) runs on the driver."""
    return ComparisonFilter(field_name="author_id", operator="eq", value=author_id)


def _page_url(request: Request[Any, Any, Any], number: int, size: int) -> str:
    kept = [(k, v) for k, v in request.url.query_params.multi_items() if k not in {"currentPage", "pageSize"}]
    return str(request.url.with_replacements(query=urlencode([*kept, ("currentPage", number), ("pageSize", size)])))


def paged_response(
    request: Request[Any, Any, Any], items: Sequence[Any], total: int, filters: Sequence[StatementFilter]
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
    links = ", ".join(f'<{_page_url(request, number, page.limit)}>; rel="{rel}"' for rel, number in pages.items())
    return Response(items, headers={"X-Total-Count": str(total), "Link": links})
