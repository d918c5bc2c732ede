"""Listing endpoints: their query parameters (as Advanced Alchemy filters) and paging headers.

The ``filters`` dependency is Advanced Alchemy's own (``create_filter_dependencies``), with the
same parameter names and filters. Its providers are replaced where they accept what the
database cannot take or what the contract refuses: ``orderBy`` must name a whitelisted
column (Advanced Alchemy takes any string), ``pageSize`` is capped at 100 (it has no upper
bound), ``ids`` must be bigint ids (it takes strings), ``searchString`` is bounded and free of
control characters (PostgreSQL rejects NUL), and timestamps must be ISO 8601 (it also reads
a number as Unix time, and a naive time would fail against the UTC columns).

The body of a listing stays a plain JSON array; the paging facts go in ``X-Total-Count``
and an RFC 8288 ``Link`` header.

Annotations here are evaluated when each provider is defined (no ``from __future__ import
annotations``): a listing's providers are made per resource, and Litestar reads them.
"""

# Parameters carry the public, camelCase names of Advanced Alchemy's filters: Litestar names
# a parameter by its Python name in validation errors, so they are spelt that way here too.
# ruff: noqa: N803

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import msgspec
from advanced_alchemy.extensions.litestar.providers import DEPENDENCY_DEFAULTS, create_filter_dependencies
from advanced_alchemy.filters import BeforeAfter, CollectionFilter, FilterTypes, LimitOffset, OrderBy, SearchFilter
from advanced_alchemy.service import find_filter
from advanced_alchemy.utils.dependencies import FilterConfig
from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import QueryParameter, SkipValidation
from msgspec import Meta

from blog.fields import ID_SCHEMA_BOUNDS, MAX_ID

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10_000_000
"""Deeper than any real client goes; keeps OFFSET far from bigint overflow."""
MAX_SEARCH_LENGTH = 200

BoundedId = Annotated[int, Meta(ge=1, le=MAX_ID)]
Filters = NamedDependency[SkipValidation[list[FilterTypes]]]
"""A listing handler's ``filters`` parameter: built by the providers below, not validated again."""
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


def invalid_query(parameter: str, reason: str) -> ValidationException:
    """A 400 naming one query parameter."""
    return ValidationException(
        detail=f"Invalid {parameter}", extra=[{"key": parameter, "message": reason, "source": "query"}]
    )


@dataclass(frozen=True)
class Listing:
    """How one resource is listed: its sortable columns, default order and search columns."""

    sort_fields: tuple[str, ...]
    default_sort: str
    default_order: SortOrder
    search_fields: tuple[str, ...]

    def dependencies(self) -> dict[str, Provide]:
        """The ``filters`` dependency, and the providers of its parts, for a handler's ``dependencies``."""
        standard = create_filter_dependencies(
            FilterConfig(
                id_filter=int,
                created_at=True,
                updated_at=True,
                pagination_type="limit_offset",
                pagination_size=DEFAULT_PAGE_SIZE,
                search=set(self.search_fields),
                sort_field=self.default_sort,
                sort_order=self.default_order,
            )
        )
        keys = DEPENDENCY_DEFAULTS
        replaced: dict[str, Callable[..., Any]] = {
            keys.ID_FILTER_DEPENDENCY_KEY: provide_id_filter,
            keys.CREATED_FILTER_DEPENDENCY_KEY: provide_created_filter,
            keys.UPDATED_FILTER_DEPENDENCY_KEY: provide_updated_filter,
            keys.LIMIT_OFFSET_FILTER_DEPENDENCY_KEY: provide_limit_offset,
            keys.SEARCH_FILTER_DEPENDENCY_KEY: self._search_provider(),
            keys.ORDER_BY_FILTER_DEPENDENCY_KEY: self._order_by_provider(),
        }
        assert set(replaced) < set(standard)  # the keys Advanced Alchemy's `filters` depends on
        return {**standard, **{key: Provide(provider, sync_to_thread=False) for key, provider in replaced.items()}}

    def _order_by_provider(self) -> Callable[..., OrderBy]:
        sortable = self.sort_fields
        sort_description = (
            f"Sort column, one of {', '.join(f'`{f}`' for f in sortable)} (default `{self.default_sort}`)"
        )
        default_sort, default_order = self.default_sort, self.default_order

        def provide_order_by(
            orderBy: Annotated[
                str | None,
                QueryParameter(
                    description=f"{sort_description}; `id` breaks ties.", schema_extra={"enum": list(sortable)}
                ),
            ] = None,
            sortOrder: Annotated[
                SortOrder | None, QueryParameter(description=f"Sort direction (default `{default_order}`).")
            ] = None,
        ) -> OrderBy:
            if orderBy is not None and orderBy not in sortable:
                raise invalid_query("orderBy", f"Expected one of {', '.join(sortable)}")
            return OrderBy(field_name=orderBy or default_sort, sort_order=sortOrder or default_order)

        return provide_order_by

    def _search_provider(self) -> Callable[..., SearchFilter | None]:
        fields = set(self.search_fields)
        where = " or ".join(self.search_fields)

        def provide_search(
            searchString: Annotated[
                str | None,
                QueryParameter(
                    description=f"Only rows whose {where} contains this text.",
                    min_length=1,
                    max_length=MAX_SEARCH_LENGTH,
                    pattern=r"^[^\x00-\x1f\x7f]*$",
                ),
            ] = None,
            searchIgnoreCase: Annotated[bool | None, QueryParameter(description="Match regardless of case.")] = None,
        ) -> SearchFilter | None:
            if searchString is None:
                return None
            return SearchFilter(
                field_name=fields,
                value=searchString,
                ignore_case=bool(searchIgnoreCase),
                escape_wildcards=True,  # a substring match: "%" and "_" mean themselves
            )

        return provide_search


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
        raise invalid_query(parameter, "Expected an ISO 8601 date-time, e.g. `2025-01-31T12:00:00Z`") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _page_url(request: Request[Any, Any, Any], number: int, size: int) -> str:
    kept = [(k, v) for k, v in request.url.query_params.multi_items() if k not in {"currentPage", "pageSize"}]
    return str(request.url.with_replacements(query=urlencode([*kept, ("currentPage", number), ("pageSize", size)])))


def paged_response(
    request: Request[Any, Any, Any], items: Sequence[Any], total: int, filters: Sequence[FilterTypes]
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
