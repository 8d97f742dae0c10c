"""Many rows through one statement, the driver's ``executemany`` doing the work.

SQLAlchemy's own executemany builds and type-converts every row's parameters
through its general machinery, which costs more than the database's write of
that row. Here the statement is compiled once per call, each column's bind
processor (the same conversion SQLAlchemy would apply: UTC times, exact money,
JSON) is looked up once, and the rows go to the driver as plain tuples or dicts.

A caller that writes the same shape of statement batch after batch (a table's
insert, an update of a set of columns) names that shape, and the work above is
then done once per shape and database, not once per call.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any] | None

# Below this many rows SQLAlchemy's own executemany is cheaper, unless the statement's
# shape is named: it caches the compiled statement, which is otherwise compiled here
# on every call (about a millisecond).
MIN_ROWS = 100
# Shapes are few (tables times the sets of columns updated together); this only bounds
# a caller that names too many.
MAX_SHAPES = 1024


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for one database, and how a row becomes its parameters."""

    sql: str
    convert: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    driver_names: list[str] | None  # (None: positional parameters)


# By the dialect itself: its settings (the JSON serializer, the parameter style) are
# in the plan.
_PLANS: dict[tuple[Dialect, Hashable, tuple[str, ...]], _Plan] = {}


def execute_many(
    conn: Connection,
    statement: UpdateBase,
    rows: Sequence[Mapping[str, Any]],
    *,
    shape: Hashable | None = None,
) -> None:
    """Run ``statement`` once per row; every row has the first row's keys.

    ``shape``: a name for the statement that stands for all of it, values in its
    clauses included (a statement with a constant of its own that changes between
    calls must not be named): it is then compiled once for all calls that name it.
    """
    if not rows:
        return
    keys = list(rows[0])
    cache_key = (conn.dialect, shape, tuple(keys))
    plan = _PLANS.get(cache_key) if shape is not None else None
    if plan is None:
        if len(rows) < MIN_ROWS and shape is None:
            conn.execute(statement, list(rows))
            return
        plan = _plan(conn, statement, keys)
        if plan is None:
            # A column the rows leave out has a Python-side default: SQLAlchemy computes it.
            conn.execute(statement, list(rows))
            return
        if shape is not None:
            if len(_PLANS) >= MAX_SHAPES:
                _PLANS.clear()
            _PLANS[cache_key] = plan
    convert = plan.convert
    if plan.driver_names is None:
        conn.exec_driver_sql(plan.sql, [convert(row) for row in rows])
    else:
        names = plan.driver_names
        conn.exec_driver_sql(
            plan.sql, [dict(zip(names, convert(row), strict=True)) for row in rows]
        )


def _plan(conn: Connection, statement: UpdateBase, keys: list[str]) -> _Plan | None:
    compiled = statement.compile(dialect=conn.dialect, column_keys=keys)
    assert isinstance(compiled, SQLCompiler)
    if compiled.insert_prefetch or compiled.update_prefetch:
        return None
    names = list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)
    given = set(keys)
    # Binds the rows do not carry are the statement's own constants (a status, a kind).
    constants = {name: compiled.binds[name].effective_value for name in names if name not in given}
    convert = _row_converter(names, [_processor(compiled, name, conn) for name in names], constants)
    if compiled.positional:
        return _Plan(compiled.string, convert, None)
    escaped: Mapping[str, str] = compiled.escaped_bind_names or {}
    return _Plan(compiled.string, convert, [escaped.get(name, name) for name in names])


def _processor(compiled: SQLCompiler, name: str, conn: Connection) -> Processor:
    dialect = conn.dialect
    return compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)


def _row_converter(
    names: list[str], processors: list[Processor], constants: Mapping[str, Any]
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function from a row to the driver's values, in ``names`` order.

    The values are picked in one C call and only the columns that have a bind
    processor go through Python: this runs for every row of every bulk write.
    """
    pick = itemgetter(*names)
    converted = [(index, process) for index, process in enumerate(processors) if process]

    def convert(row: Mapping[str, Any]) -> tuple[Any, ...]:
        picked = pick({**row, **constants} if constants else row)
        values = list(picked) if len(names) > 1 else [picked]
        for index, process in converted:
            values[index] = process(values[index])
        return tuple(values)  # (SQLAlchemy hands the driver tuples or dicts only)

    return convert


def delete_by_keys(
    conn: Connection, table: Table, columns: Sequence[str], keys: Sequence[tuple[Any, ...]]
) -> None:
    """Delete the rows of ``table`` whose ``columns`` hold one of ``keys``."""
    if not keys:
        return
    matches = and_(*(table.c[name] == bindparam(f"b_{name}") for name in columns))
    rows = [{f"b_{name}": value for name, value in zip(columns, key, strict=True)} for key in keys]
    execute_many(conn, delete(table).where(matches), rows)
