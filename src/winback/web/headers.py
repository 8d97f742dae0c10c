"""Header values as their senders wrote them."""

from __future__ import annotations


def header_text(value: str) -> str:
    """A header's value as its sender wrote it: HTTP servers hand header bytes over
    as Latin-1, senders write UTF-8 (an event type "commande/créée", a column
    mapping naming "Numéro")."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:  # (Latin-1 after all)
        return value
