"""Column mappings: files whose headers use other names than ours.

A mapping is a JSON object ``{"their header": "our header"}``. Headers it does
not name are read as they are; our own column names are matched without regard
to case or surrounding spaces.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import orjson

from winback.imports.problems import ImportRefused
from winback.imports.table import Rename

ColumnMapping = Mapping[str, str]


def load_column_mapping(path: Path | str) -> dict[str, str]:
    """Read a mapping file; refuse anything but an object of non-empty strings."""
    try:
        text = Path(path).read_bytes()
    except OSError as error:
        raise ImportRefused(f"the column mapping {str(path)!r} cannot be read: {error}") from None
    return parse_column_mapping(text)


def parse_column_mapping(text: bytes | str) -> dict[str, str]:
    """A mapping from its JSON text (a file's content, or an API header)."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ImportRefused(f"the column mapping is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ImportRefused("the column mapping must be a JSON object {their header: our header}")
    mapping: dict[str, str] = {}
    for theirs, ours in data.items():
        if not isinstance(ours, str) or not ours.strip() or not theirs.strip():
            raise ImportRefused(f"the column mapping entry {theirs!r} must map to a column name")
        mapping[theirs.strip()] = ours.strip()
    return mapping


def header_renamer(known: Collection[str], mapping: ColumnMapping | None = None) -> Rename:
    """A function from a file's header cell to our column name, or the cell as written.

    A mapping names our columns: one naming a column we do not have is refused,
    rather than leaving the file to fail later for the column it meant to supply.
    """
    exact = {theirs.strip(): ours for theirs, ours in (mapping or {}).items()}
    folded = {theirs.casefold(): ours for theirs, ours in exact.items()}
    known_folded = {name.casefold(): name for name in known}
    for theirs, ours in exact.items():
        if ours.casefold() not in known_folded:
            raise ImportRefused(_unknown_target(theirs, ours, known), column=ours)

    def rename(cell: str) -> str:
        name = exact.get(cell, folded.get(cell.casefold(), cell))
        return known_folded.get(name.casefold(), name)

    return rename


def _unknown_target(theirs: str, ours: str, known: Collection[str]) -> str:
    names = ", ".join(sorted(known))
    return (
        f"the column mapping maps {theirs!r} to {ours!r}, which is not one of our columns; "
        f"they are: {names}"
    )
