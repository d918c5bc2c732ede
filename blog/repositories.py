"""Repositories: Advanced Alchemy's, plus the reads the API serves most, made cheap.

A read request's session is outside any transaction on PostgreSQL (``blog.database``). There
the reads below skip SQLAlchemy's execution machinery (compile-cache lookup, execution
context, result objects, identity map, each behind a greenlet switch), which cost as much as
all the rest of a request (README, "Performance"): each is one fixed statement, compiled once
by SQLAlchemy and sent as a prepared statement on the session's own asyncpg connection.
Anywhere else (SQLite, PgBouncer mode, inside a write's transaction) the same statement runs
through the session, so both ways give the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import asyncpg
from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import ModelT
from sqlalchemy import Dialect, Select, Table, bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import make_transient_to_detached

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
        return detached(self.model_type, rows[0])

    async def count_all(self) -> int:
        """All rows of the table, in constant time, from the trigger-kept ``row_count``.

        ``count(*)`` would read every row.
        """
        rows = await self._read(_count_of(self.model_type), table=cast("Table", self.model_type.__table__).name)
        return int(rows[0]["total"])

    async def _read(self, statement: Select[Any], **params: Any) -> Sequence[Mapping[str, Any]]:
        """The rows of ``statement``: on the driver when outside a transaction on asyncpg."""
        connection = await self.session.connection()
        driver = _asyncpg_in_autocommit(connection)
        if driver is None:
            result = await self.session.execute(statement, params)
            return cast("Sequence[Mapping[str, Any]]", result.mappings().all())
        prepared = _for_driver(statement, connection.dialect)
        try:
            records = await driver.fetch(prepared.sql, *prepared.arguments(params))
        except BaseException as exc:
            # SQLAlchemy did not see this statement fail, so it would pool the connection again;
            # the statements here cannot fail on their data, so the connection is to blame (a
            # timeout, for one, leaves it closing).
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
    """A statement as SQLAlchemy compiles it for asyncpg, with its parameters' and columns' conversions."""

    sql: str
    parameters: tuple[tuple[str, Processor], ...]
    """In the order of ``$1``, ``$2``, ..."""
    defaults: Mapping[str, Any]
    """Values the statement itself holds (a literal such as the ``0`` of ``coalesce(n, 0)``)."""
    columns: tuple[tuple[str, Processor], ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = {**self.defaults, **params}
        return [process(values[name]) if process else values[name] for name, process in self.parameters]

    def row(self, record: asyncpg.Record) -> dict[str, Any]:
        return {
            name: process(value) if process else value
            for (name, process), value in zip(self.columns, record.values(), strict=True)
        }


@cache
def _for_driver(statement: Select[Any], dialect: Dialect) -> DriverStatement:
    """``statement`` compiled once per dialect, as SQLAlchemy would execute it.

    Only for the fixed statements of this module: cached by identity, and their parameters are
    plain ones (no ``IN`` lists, whose SQL SQLAlchemy finishes only when it runs them).
    """
    compiled = statement.compile(dialect=dialect)
    positions = compiled.positiontup or []
    return DriverStatement(
        sql=compiled.string,
        parameters=tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in positions
        ),
        defaults={name: bind.value for name, bind in compiled.binds.items() if not bind.required},
        columns=tuple(
            (str(column.key), column.type.dialect_impl(dialect).result_processor(dialect, None))
            for column in statement.selected_columns
        ),
    )


@cache
def _by_id(model_type: type[Any]) -> Select[Any]:
    """Every column of the row with id ``:id``, each named as the model's attribute."""
    mapper = inspect(model_type)
    (key,) = mapper.primary_key
    columns = [attribute.columns[0].label(attribute.key) for attribute in mapper.column_attrs]
    return select(*columns).where(key == bindparam("id", type_=key.type))


@cache
def _count_of(model_type: type[Any]) -> Select[Any]:
    """The row count of table ``:table``: the sum of its slots in ``row_count``."""
    total = func.coalesce(func.sum(row_count.c.n), 0).label("total")
    return select(total).where(row_count.c.table_name == bindparam("table", type_=row_count.c.table_name.type))


def detached(model_type: type[ModelT], row: Mapping[str, Any]) -> ModelT:
    """An instance holding ``row``'s values, as if loaded by a session since closed.

    Set straight into the instance, as the ORM's loader does: the constructor would fire an
    attribute event per column, at ten times the cost.
    """
    instance = cast("ModelT", inspect(model_type).class_manager.new_instance())
    instance.__dict__.update(row)
    make_transient_to_detached(instance)
    return instance
