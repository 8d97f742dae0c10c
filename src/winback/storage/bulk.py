"""Many rows through one statement, the driver's ``executemany`` doing the work.

SQLAlchemy's own executemany builds and type-converts every row's parameters
through its general machinery, which costs more than the database's write of
that row. Here the statement is compiled once per call, each column's bind
processor (the same conversion SQLAlchemy would apply: UTC times, exact money,
JSON) is looked up once, and the rows go to the driver as plain tuples or dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any] | None

# Below this many rows SQLAlchemy's own executemany is cheaper: it caches the
# compiled statement, which is compiled here on every call (about a millisecond).
MIN_ROWS = 100


def execute_many(
    conn: Connection, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run ``statement`` once per row; every row has the first row's keys."""
    if not rows:
        return
    if len(rows) < MIN_ROWS:
        conn.execute(statement, list(rows))
        return
    keys = list(rows[0])
    compiled = statement.compile(dialect=conn.dialect, column_keys=keys)
    assert isinstance(compiled, SQLCompiler)
    if compiled.insert_prefetch or compiled.update_prefetch:
        # A column the rows leave out has a Python-side default: SQLAlchemy computes it.
        conn.execute(statement, list(rows))
        return
    names = list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)
    given = set(keys)
    # Binds the rows do not carry are the statement's own constants (a status, a kind).
    constants = {name: compiled.binds[name].effective_value for name in names if name not in given}
    convert = _row_converter(names, [_processor(compiled, name, conn) for name in names], constants)
    if compiled.positional:
        conn.exec_driver_sql(compiled.string, [convert(row) for row in rows])
    else:
        escaped: Mapping[str, str] = compiled.escaped_bind_names or {}
        driver_names = [escaped.get(name, name) for name in names]
        conn.exec_driver_sql(
            compiled.string,
            [dict(zip(driver_names, convert(row), strict=True)) for row in rows],
        )


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
