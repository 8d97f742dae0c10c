"""Grouping variant rows (same ``item_group_id``) into one product per parent.

Memory bound: rows of a group are held until ``max_held_rows`` rows of other
groups have arrived since the group's last row (a sliding window, 10,000 rows
by default, a few MB); then the group is handed on. Feeds usually list a
product's variants together, so groups are complete long before that. A row
that arrives after its group was handed on is reported as a row error rather
than producing a second, partial parent that would overwrite the first. To
notice that, the ids of handed-on groups are kept: about 100 bytes a group.

How a parent is made of its rows is in ``records``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from winback.feeds.items import FeedItem
from winback.feeds.records import FeedProduct
from winback.imports.problems import RowError

DEFAULT_MAX_HELD_ROWS = 10_000


class VariantGrouper:
    """Feed items in, products out: standalone ones at once, parents when their group ends."""

    def __init__(self, max_held_rows: int = DEFAULT_MAX_HELD_ROWS):
        self._max_held_rows = max_held_rows
        # Open groups, least recently extended first; each maps variant id -> row.
        self._open: OrderedDict[str, dict[str, FeedItem]] = OrderedDict()
        self._held = 0
        self._handed_on: set[str] = set()

    def add(self, item: FeedItem) -> Iterator[FeedProduct | RowError]:
        """Take one item; yield whatever products are now complete."""
        group_id = item.group_id
        if group_id is None:
            yield FeedProduct(item.line, None, (item.fields,))
            return
        if group_id in self._handed_on:
            reason = (
                f"this variant of {group_id} comes more than {self._max_held_rows} rows after "
                "the others; list a product's variants together"
            )
            yield RowError(item.line, "item_group_id", reason)
            return
        rows = self._open.get(group_id)
        if rows is None:
            rows = self._open[group_id] = {}
        elif item.fields.id in rows:
            yield RowError(item.line, "id", f"the id {item.fields.id} appears twice in {group_id}")
            return
        rows[item.fields.id] = item
        self._open.move_to_end(group_id)
        self._held += 1
        while self._held > self._max_held_rows:
            yield self._hand_on_oldest()

    def finish(self) -> Iterator[FeedProduct]:
        """The groups still open at the end of the feed."""
        while self._open:
            yield self._hand_on_oldest()

    def _hand_on_oldest(self) -> FeedProduct:
        group_id, rows = self._open.popitem(last=False)
        self._held -= len(rows)
        self._handed_on.add(group_id)
        items = list(rows.values())
        return FeedProduct(items[0].line, group_id, [item.fields for item in items])
