"""Conversion between domain dataclasses and table rows (same field names as columns)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, Table

T = TypeVar("T")


def to_row(entity: Any) -> dict[str, Any]:
    """A dataclass as a dict of column values (a shallow copy, JSON lists/dicts included)."""
    return {name: getattr(entity, name) for name in field_names(type(entity))}


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def field_names(cls: type[Any]) -> tuple[str, ...]:
    """A dataclass's field names, looked up once per class (rows are written by the thousand)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_ROW_PLANS: dict[tuple[type[Any], tuple[str, ...]], tuple[tuple[str, int], ...]] = {}


def row_reader(cls: type[T], columns: Sequence[str]) -> Callable[[Row[Any]], T]:
    """A function building ``cls`` from rows of ``columns``, taking only the columns the
    dataclass knows. Which field sits at which position is worked out once per class
    and row shape: rows are read by the thousand, and asking each row for its column
    names costs more than building the dataclass."""
    shape = (cls, tuple(columns))
    plan = _ROW_PLANS.get(shape)
    if plan is None:
        names = shape[1]
        plan = tuple((name, names.index(name)) for name in field_names(cls) if name in names)
        _ROW_PLANS[shape] = plan

    def read(row: Row[Any]) -> T:
        return cls(**{name: row[position] for name, position in plan})

    return read


def from_row(cls: type[T], row: Row[Any]) -> T:
    """A dataclass built from one row (for many rows of one result, see ``row_reader``)."""
    return row_reader(cls, row._fields)(row)


def entity_columns(table: Table, cls: type[Any]) -> list[str]:
    names = {f.name for f in dataclasses.fields(cls)}
    return [column.name for column in table.columns if column.name in names]
