"""What every domain's service shares: Advanced Alchemy's service and repository, plus paging.

A domain's service subclasses ``BlogService`` with an inner ``Repo`` (a ``BlogRepository``), as
litestar-fullstack lays them out. Services raise Advanced Alchemy's ``NotFoundError`` for a
missing row; ``blog.errors`` turns it into a 404 in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import cache, lru_cache
from typing import Any, ClassVar, TypeVar, cast

from advanced_alchemy.exceptions import DuplicateKeyError, NotFoundError, RepositoryError, wrap_sqlalchemy_exception
from advanced_alchemy.filters import LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import LoadSpec, ModelDictT, ModelT, SQLAlchemyAsyncRepositoryService, find_filter
from litestar.di import NamedDependency, Provide
from sqlalchemy import ColumnElement, Row, Select, Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_scoped_session
from sqlalchemy.orm.exc import StaleDataError

from blog.conditional import http_date, validator
from blog.conditional import if_match as holds
from blog.models import row_count

PRECONDITION_FAILED = (
    "The {resource} has changed since you read it: read it again (GET), and send its new ETag in If-Match."
)


class NotOwnerError(RepositoryError):
    """The row exists, and belongs to someone else than the caller (a 403)."""

    def __init__(self, detail: str, resource: str) -> None:
        self.resource = resource
        """What the row is (``article``, ``comment``...), for clients that want it as a word."""
        super().__init__(detail=detail)


class PreconditionFailedError(RepositoryError):
    """``If-Match`` names a version other than the row's current one (a 412): someone changed it since."""


class RuleError(RepositoryError):
    """A request the rules refuse whatever the data (a 400 naming ``field``)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(detail=f"{field}: {reason}")


class AlreadyTakenError(DuplicateKeyError):
    """Values another row has where they must be unique (a 409 naming the fields)."""

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(detail=f"{' and '.join(fields)} {'is' if len(fields) == 1 else 'are'} already taken")


class BlogRepository(SQLAlchemyAsyncRepository[ModelT]):
    """Advanced Alchemy's repository, plus the table's row count in constant time."""

    async def count_all(self) -> int:
        """All rows of the table, from the trigger-kept ``row_count``: ``count(*)`` reads every row."""
        return int(await self.session.scalar(row_count_of(cast("Table", self.model_type.__table__).name)) or 0)


@cache
def row_count_of(table: str) -> Select[tuple[int]]:
    """The statement reading ``table``'s row count (``row_count``)."""
    # Built once per table: building a statement costs as much as running this one.
    return select(func.coalesce(func.sum(row_count.c.n), 0)).where(row_count.c.table_name == table)


RepoT = TypeVar("RepoT", bound=BlogRepository[Any])


class BlogService(SQLAlchemyAsyncRepositoryService[ModelT, RepoT]):
    """Advanced Alchemy's service, with ``list_page``: one page of a listing and its total.

    Written rows are not re-read after their commit (``auto_refresh=False``): every value
    is known once the row is flushed (the id comes back from the INSERT, the timestamps are
    set in Python), and a re-read in a new transaction would fail if a concurrent request
    deleted the row in between, turning a committed write into an error.
    """

    owner_field: ClassVar[str] = "author_id"
    """The column naming the author who owns a row: only they may change or delete it."""
    not_owner: ClassVar[str] = "Only its author may change or delete this."
    resource: ClassVar[str] = "row"
    """What one row is, in a word (``article``): errors name it."""

    def __init__(self, session: AsyncSession | async_scoped_session[AsyncSession], **repo_kwargs: Any) -> None:
        # The repository's base statement, built once: it would build `select(model)` anew
        # for every request's service.
        defaults = {"auto_refresh": False, "statement": self._base_statement()}
        super().__init__(session, **{**defaults, **repo_kwargs})

    @classmethod
    @cache
    def _base_statement(cls) -> Select[Any]:
        return select(cls.repository_type.model_type)

    async def commit(self) -> None:
        """Commit the session's work; a failure is a repository error, as from Advanced Alchemy's own
        calls, and a row deleted under an update is a ``NotFoundError`` (see ``update``)."""
        session = self.repository.session
        dialect = session.get_bind().dialect.name
        try:
            with wrap_sqlalchemy_exception(error_messages=self.repository.error_messages, dialect_name=dialect):
                await session.commit()
        except RepositoryError as exc:
            self._raise_if_gone(exc)
            raise

    async def get_owned(
        self, item_id: int, owner_id: int, load: LoadSpec | None = None, *, if_match: str | None = None
    ) -> ModelT:
        """The row, if ``owner_id`` owns it: ``NotFoundError`` (404) if there is none, then
        ``NotOwnerError`` (403). The one place ownership is checked.

        With ``if_match`` (a request's ``If-Match``), the row is locked until the transaction
        ends and must still be the version the caller saw (``PreconditionFailedError``, 412,
        otherwise): two writers holding the same ``ETag`` cannot both pass, since the second
        waits for the first's commit and then sees a new version.
        """
        row: ModelT = await self.repository.get(item_id, load=load, with_for_update=if_match is not None)
        self.refuse_others(row, owner_id)
        if if_match is not None and not holds(if_match, self.validator(row)):
            raise PreconditionFailedError(detail=PRECONDITION_FAILED.format(resource=self.resource))
        return row

    def refuse_others(self, row: ModelT, owner_id: int) -> None:
        """``NotOwnerError`` unless ``owner_id`` owns ``row``."""
        if getattr(row, self.owner_field) != owner_id:
            raise NotOwnerError(self.not_owner, self.resource)

    async def update_owned(
        self, data: ModelDictT[ModelT], item_id: int, owner_id: int, *, if_match: str | None = None
    ) -> ModelT:
        """``update`` (committed), for the row's owner only, if it is still the version ``if_match`` names."""
        await self.get_owned(item_id, owner_id, if_match=if_match)
        return await self.update(data, item_id=item_id, auto_commit=True)

    async def delete_owned(self, item_id: int, owner_id: int, *, if_match: str | None = None) -> None:
        """``delete`` (committed), for the row's owner only, if it is still the version ``if_match`` names."""
        await self.get_owned(item_id, owner_id, if_match=if_match)
        await self.delete(item_id, auto_commit=True)

    # --- versions ---------------------------------------------------------------------------------

    unversioned: ClassVar[frozenset[str]] = frozenset()
    """Columns a row's version leaves out: values no answer ever shows (a password's hash)."""

    @classmethod
    def validator(cls, item: ModelT) -> str:
        """The row's ``ETag``: a hash of the values its body is made of (``read_columns``, or the
        table's columns), the same for the row read as a row or as an ORM object."""
        if isinstance(item, Row):  # a read's row holds exactly those values, in that order
            return validator(item)
        return validator(getattr(item, name) for name in cls._versioned())

    @classmethod
    def validators(cls, item: ModelT) -> dict[str, str]:
        """The headers an answer with this one row carries: its ``ETag`` and ``Last-Modified``."""
        return {"ETag": cls.validator(item), "Last-Modified": http_date(cast("Any", item).updated_at)}

    @classmethod
    @cache
    def _versioned(cls) -> tuple[str, ...]:
        columns = cls.read_columns or tuple(column for column in cls._table().c if column.key not in cls.unversioned)
        return tuple(column.key for column in columns if column.key is not None)

    async def update(self, *args: Any, **kwargs: Any) -> ModelT:
        """Advanced Alchemy's ``update``; a row deleted under it is a ``NotFoundError``.

        The row is read, then updated: a concurrent delete in between leaves the UPDATE
        matching nothing, which SQLAlchemy reports as stale data. For the client the row
        simply does not exist (404), as if the delete had come first.
        """
        try:
            return await super().update(*args, **kwargs)
        except RepositoryError as exc:
            self._raise_if_gone(exc)
            raise

    def _raise_if_gone(self, exc: RepositoryError) -> None:
        """A ``NotFoundError`` if ``exc`` says the row was deleted while it was being updated."""
        if isinstance(exc.__cause__, StaleDataError):
            messages = cast("dict[str, str]", self.repository.error_messages or {})
            raise NotFoundError(messages.get("not_found", "No such row")) from exc

    async def list_page(
        self, filters: Sequence[StatementFilter | ColumnElement[bool]], load: LoadSpec | None = None
    ) -> tuple[Sequence[ModelT], int]:
        """The rows of one page, in a total order, and how many rows match in all.

        ``id`` breaks ties in any ordering, so walking the pages returns every row exactly
        once even when timestamps tie. At most two statements run, whatever the page size.
        """
        filters = _in_total_order(filters)
        items = await self.get_many(*filters, load=load)
        return items, await self._total(filters, len(items))

    # --- reads as rows ------------------------------------------------------------------------

    read_columns: ClassVar[tuple[ColumnElement[Any], ...]] = ()
    """What ``read`` and ``read_page`` select: the columns of the table (``Table.c``, not the
    model's attributes) and any computed ones, labelled as the read DTO's fields."""
    read_condition: ClassVar[ColumnElement[bool] | None] = None
    """What else a row read by id must satisfy (who may see it), its values as bound parameters
    that ``read`` is given."""

    async def read(self, item_id: int, **parameters: Any) -> ModelT:
        """The row with this id as the API shows it; ``NotFoundError`` if there is none.

        A read that only shows a row need not build an ORM object: it selects ``read_columns``
        in a statement built once per service, and returns the result's row. A row answers
        attribute access by column name as the model does, which is all the read DTO does with
        it (typed as the model for that reason); it is not an ORM object, and is never changed.
        Through the ORM the same read costs a quarter more (docs/performance.md).
        """
        statement = self._read_by_id()
        row = (await self.repository.session.execute(statement, {"item_id": item_id, **parameters})).one_or_none()
        if row is None:
            messages = cast("dict[str, str]", self.repository.error_messages or {})
            raise NotFoundError(messages.get("not_found", "No such row"))
        return cast("ModelT", row)

    async def read_page(self, filters: Sequence[StatementFilter | ColumnElement[bool]]) -> tuple[Sequence[ModelT], int]:
        """``list_page``, as rows (see ``read``). Conditions must be on the table's columns.

        A listing whose filters are all paging, ordering and ``BoundFilter``s (the default
        page, in any order) runs a statement built once for that combination, its values
        bound as parameters: building the statement and computing its cache key anew cost
        a page ~9% of its time. Any other filter builds the statement for the request.
        """
        filters = _in_total_order(filters)
        shape, parameters = _shape_of(filters)
        statement = self._built(filters) if shape is None else self._page_of_shape(shape)
        rows = (await self.repository.session.execute(statement, parameters)).all()
        return cast("Sequence[ModelT]", rows), await self._total(filters, len(rows))

    @classmethod
    def _built(cls, filters: Sequence[StatementFilter | ColumnElement[bool]]) -> Select[Any]:
        statement = cls._read_statement()
        # Advanced Alchemy's filters look their columns up by name on what they are given: the
        # table's columns keep the statement Core (with the model's attributes it would be an
        # ORM statement, and cost as much as loading objects).
        columns = cast("Any", cls._table().c)
        for condition in filters:
            if isinstance(condition, StatementFilter):
                statement = condition.append_to_statement(statement, columns)
            else:
                statement = statement.where(condition)
        return statement

    @classmethod
    @lru_cache(maxsize=64)  # a few listings x their orderings
    def _page_of_shape(cls, shape: tuple[Hashable, ...]) -> Select[Any]:
        return cls._built([_template(part) for part in shape])

    @classmethod
    def _table(cls) -> Table:
        return cast("Table", cls.repository_type.model_type.__table__)

    @classmethod
    @cache
    def _read_statement(cls) -> Select[Any]:
        if not cls.read_columns:
            msg = f"{cls.__name__}.read_columns is not set"
            raise TypeError(msg)
        return select(*cls.read_columns)

    @classmethod
    @cache
    def _read_by_id(cls) -> Select[Any]:
        statement = cls._read_statement().where(cls._table().c.id == bindparam("item_id"))
        return statement if cls.read_condition is None else statement.where(cls.read_condition)

    async def _total(self, filters: Sequence[StatementFilter | ColumnElement[bool]], found: int) -> int:
        page = find_filter(LimitOffset, filters)
        if page is None:
            return found
        if found < page.limit and (found or page.offset == 0):
            return page.offset + found  # the last page: nothing follows it
        conditions = [f for f in filters if not isinstance(f, (LimitOffset, OrderBy))]
        if not conditions:
            return await self.repository.count_all()
        return await self.count(*conditions)


class BoundFilter(StatementFilter):
    """A filter whose condition is the same SQL whatever its values, given as bound parameters:
    listings made of such filters run statements built once (``BlogService.read_page``)."""

    @classmethod
    def condition(cls) -> ColumnElement[bool]:
        """The condition, its values as ``bindparam``s named as ``parameters`` names them (built once)."""
        raise NotImplementedError

    def parameters(self) -> dict[str, Any]:
        """This filter's values, by the names of the condition's parameters."""
        raise NotImplementedError


def _shape_of(
    filters: Sequence[StatementFilter | ColumnElement[bool]],
) -> tuple[tuple[Hashable, ...] | None, dict[str, Any]]:
    """What a statement built once needs for ``filters`` (``None`` if they cannot share one),
    and the values to bind to it."""
    shape: list[Hashable] = []
    parameters: dict[str, Any] = {}
    for condition in filters:
        # Exact types: a subclass of Advanced Alchemy's filters may do more than these do.
        if type(condition) is LimitOffset:
            shape.append(LimitOffset)
            parameters.update(page_limit=condition.limit, page_offset=condition.offset)
        elif type(condition) is OrderBy and condition.nulls is None:
            shape.append((condition.field_name, condition.sort_order))
        elif isinstance(condition, BoundFilter):
            shape.append(type(condition))
            parameters.update(condition.parameters())
        else:
            return None, {}
    return tuple(shape), parameters


def _template(part: Hashable) -> StatementFilter | ColumnElement[bool]:
    """The filter a part of a shape (``_shape_of``) stands for, its values as bound parameters."""
    if part is LimitOffset:
        return LimitOffset(cast("int", bindparam("page_limit")), cast("int", bindparam("page_offset")))
    if isinstance(part, type) and issubclass(part, BoundFilter):
        return part.condition()
    field_name, sort_order = cast("tuple[str, Any]", part)
    return OrderBy(field_name, sort_order)


def _in_total_order(
    filters: Sequence[StatementFilter | ColumnElement[bool]],
) -> Sequence[StatementFilter | ColumnElement[bool]]:
    order = find_filter(OrderBy, filters)
    if order is not None and order.field_name != "id":
        return [*filters, OrderBy(field_name="id", sort_order=order.sort_order)]
    return filters


ServiceT = TypeVar("ServiceT", bound=SQLAlchemyAsyncRepositoryService[Any, Any])


def write_provider(service_type: Callable[..., ServiceT]) -> Provide:
    """The dependency of a handler that writes: the service on the request's transaction (``db_session``)."""

    def provide(db_session: NamedDependency[AsyncSession]) -> ServiceT:
        return service_type(session=db_session)

    return Provide(provide, sync_to_thread=False)


def read_provider(service_type: Callable[..., ServiceT]) -> Provide:
    """The dependency of a handler that only reads: the service on the request's autocommit
    session (``db_read_session``, see ``blog.database``)."""

    def provide(db_read_session: NamedDependency[AsyncSession]) -> ServiceT:
        return service_type(session=db_read_session)

    return Provide(provide, sync_to_thread=False)
