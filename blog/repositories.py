"""Repositories: Advanced Alchemy's, plus the reads the API serves most, made cheap.

A read request's session is outside any transaction on PostgreSQL (``blog.database``). There
the reads below skip SQLAlchemy's execution machinery (execution context, result objects,
identity map, each behind a greenlet switch), which cost as much as all the rest of a request
(README, "Performance"): SQLAlchemy builds and compiles each statement, once per SQL shape,
and it goes as a prepared statement to the session's own asyncpg connection. Anywhere else
(SQLite, PgBouncer mode, inside a write's transaction) the same statement runs through the
session; a test holds both ways to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, cast

import asyncpg
from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.filters import StatementFilter
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import ModelT
from sqlalchemy import BindParameter, Dialect, Select, Table, bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection

from blog.models import row_count

Processor = Callable[[Any], Any] | None


class BlogRepository(SQLAlchemyAsyncRepository[ModelT]):
    """Advanced Alchemy's repository, plus a read by id for display and a constant-time row count."""

    async def get_for_read(self, item_id: int) -> ModelT:
        """The row with this id, as an instance in no session; ``NotFoundError`` if there is none.

        For answering a read: writes use ``get``, whose instance the session tracks.
        """
        rows = await self._read(_by_id(self.model_type), id=item_id)
        if not rows:
            messages = cast("dict[str, str]", self.error_messages or {})
            raise NotFoundError(messages.get("not_found", "No such row"))
        return instances(self.model_type, rows)[0]

    async def count_all(self) -> int:
        """All rows of the table, in constant time, from the trigger-kept ``row_count``.

        ``count(*)`` would read every row.
        """
        rows = await self._read(_count_of(self.model_type), table=cast("Table", self.model_type.__table__).name)
        return int(rows[0]["total"])

    async def list_for_read(self, *filters: StatementFilter) -> list[ModelT]:
        """The rows ``filters`` select, in their order, as instances in no session."""
        statement = _all_columns(self.model_type)
        for statement_filter in filters:
            statement = statement_filter.append_to_statement(statement, self.model_type)
        return instances(self.model_type, await self._read(statement))

    async def _read(self, statement: Select[Any], **params: Any) -> Sequence[Mapping[str, Any]]:
        """The rows of ``statement``: on the driver when outside a transaction on asyncpg."""
        connection = await self.session.connection()
        driver = _asyncpg_in_autocommit(connection)
        shape = _Shape.of(statement) if driver else None
        prepared = _for_driver(shape, connection.dialect) if shape else None
        if driver is None or shape is None or prepared is None:
            result = await self.session.execute(statement, params)
            return cast("Sequence[Mapping[str, Any]]", result.mappings().all())
        try:
            records = await driver.fetch(prepared.sql, *prepared.arguments(shape.binds, params))
        except BaseException as exc:
            # SQLAlchemy did not see this statement fail, so it would pool the connection again;
            # a SELECT of valid parameters does not fail on its data, so the connection is to
            # blame (a timeout, for one, leaves it closing).
            await connection.invalidate(exc)
            raise
        return [prepared.row(record) for record in records]


def _asyncpg_in_autocommit(connection: AsyncConnection) -> asyncpg.Connection | None:
    """The asyncpg connection under ``connection``, if that is one and outside any transaction.

    In a transaction SQLAlchemy's driver adapter sends BEGIN before the first statement it
    runs; a statement sent around it would run outside that transaction.
    """
    if connection.dialect.driver != "asyncpg" or connection.sync_connection is None:
        return None
    pooled = connection.sync_connection.connection
    if not getattr(pooled.dbapi_connection, "autocommit", False):
        return None
    return cast("asyncpg.Connection", pooled.driver_connection)


@dataclass(frozen=True)
class DriverStatement:
    """A SELECT as SQLAlchemy compiles it for asyncpg, with its parameters' and columns' conversions."""

    sql: str
    parameters: tuple[tuple[str, Processor], ...]
    """In the order of ``$1``, ``$2``, ..."""
    values: tuple[str, ...]
    """The names of the values the statement holds (a page size, a search term), in the order
    SQLAlchemy's cache key lists them: any statement of the same shape fills in its own."""
    columns: tuple[tuple[str, Processor], ...]

    def arguments(self, held: Sequence[BindParameter[Any]], params: Mapping[str, Any]) -> list[Any]:
        values = {name: bind.effective_value for name, bind in zip(self.values, held, strict=True)} | dict(params)
        return [process(values[name]) if process else values[name] for name, process in self.parameters]

    def row(self, record: asyncpg.Record) -> dict[str, Any]:
        return {
            name: process(value) if process else value
            for (name, process), value in zip(self.columns, record.values(), strict=True)
        }


@dataclass(frozen=True)
class _Shape:
    """A statement, equal to any other of the same SQL shape.

    Both come from SQLAlchemy's cache key (as in its own caching examples): ``key`` is the
    shape, ``binds`` the values this statement holds, in the order the key lists them.
    """

    key: tuple[Any, ...]
    binds: Sequence[BindParameter[Any]] = field(compare=False)
    statement: Select[Any] = field(compare=False)

    @classmethod
    def of(cls, statement: Select[Any]) -> _Shape | None:
        """``None`` for a statement SQLAlchemy does not cache either."""
        cache_key = statement._generate_cache_key()
        return cls(cache_key.key, cache_key.bindparams, statement) if cache_key else None


@lru_cache(maxsize=512)
def _for_driver(shape: _Shape, dialect: Dialect) -> DriverStatement | None:
    """How to run statements of this shape on asyncpg: compiled once, as SQLAlchemy would.

    ``None`` for one whose SQL SQLAlchemy completes only when it runs it (an ``IN`` list of
    values), or whose values it cannot map to the SQL's parameters; those run through SQLAlchemy.
    """
    compiled = shape.statement.compile(dialect=dialect)
    if any(bind.expanding or bind.literal_execute for bind in compiled.binds.values()):
        return None
    if any(bind not in compiled.bind_names for bind in shape.binds):
        return None  # a value the SQL does not use: leave such a statement to SQLAlchemy
    return DriverStatement(
        sql=compiled.string,
        parameters=tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or []
        ),
        values=tuple(compiled.bind_names[bind] for bind in shape.binds),
        columns=tuple(
            (str(column.key), column.type.dialect_impl(dialect).result_processor(dialect, None))
            for column in shape.statement.selected_columns
        ),
    )


@cache
def _all_columns(model_type: Hashable) -> Select[Any]:
    """Every column of the model's table, each named as the model's attribute."""
    mapper = inspect(model_type)
    return select(*(attribute.columns[0].label(attribute.key) for attribute in mapper.column_attrs))


@cache
def _by_id(model_type: Hashable) -> Select[Any]:
    """Every column of the row with id ``:id``, each named as the model's attribute."""
    (key,) = inspect(model_type).primary_key
    return _all_columns(model_type).where(key == bindparam("id", type_=key.type))


@cache
def _count_of(model_type: Hashable) -> Select[Any]:
    """The row count of table ``:table``: the sum of its slots in ``row_count``."""
    total = func.coalesce(func.sum(row_count.c.n), 0).label("total")
    return select(total).where(row_count.c.table_name == bindparam("table", type_=row_count.c.table_name.type))


def instances(model_type: type[ModelT], rows: Iterable[Mapping[str, Any]]) -> list[ModelT]:
    """Instances holding the rows' values, in no session (to the ORM, new objects never added).

    Set straight into each instance, as the ORM's loader does: the constructor would fire an
    attribute event per column, at ten times the cost.
    """
    new_instance = inspect(model_type).class_manager.new_instance
    built = []
    for row in rows:
        instance = new_instance()
        instance.__dict__.update(row)
        built.append(cast("ModelT", instance))
    return built
