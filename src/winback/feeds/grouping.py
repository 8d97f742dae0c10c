"""Grouping variant rows (same ``item_group_id``) into one product per parent.

Memory bound: rows of a group are held until ``max_held_rows`` rows of other
groups have arrived since the group's last row (a sliding window, 10,000 rows
by default, a few MB); then the group is handed on. Feeds usually list a
product's variants together, so groups are complete long before that. A row
that arrives after its group was handed on is reported as a row error rather
than producing a second, partial parent that would overwrite the first. To
notice that, the ids of handed-on groups are kept: about 100 bytes a group.

A group with a rejected row (a bad price, a field too many) makes no product:
a parent made of the other rows would drop the rejected variant from the
product, where a rejected standalone row leaves its product as it was. Its
other rows are reported instead, each naming the rejected one.

How a parent is made of its rows is in ``records``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from winback.feeds.items import FeedItem
from winback.feeds.records import FeedProduct
from winback.imports.problems import RowError

DEFAULT_MAX_HELD_ROWS = 10_000


@dataclass(slots=True)
class _Group:
    """An open group: its valid rows by variant id, how many rows it counts in the
    window (rejected ones too), and the line of its first rejected row."""

    rows: dict[str, FeedItem] = field(default_factory=dict)
    held: int = 0
    rejected_line: int | None = None


class VariantGrouper:
    """Feed items in, products out: standalone ones at once, parents when their group ends."""

    def __init__(self, max_held_rows: int = DEFAULT_MAX_HELD_ROWS):
        self._max_held_rows = max_held_rows
        # Open groups, least recently extended first.
        self._open: OrderedDict[str, _Group] = OrderedDict()
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
        group = self._open.get(group_id)
        if group is not None and item.fields.id in group.rows:
            yield RowError(item.line, "id", f"the id {item.fields.id} appears twice in {group_id}")
            return
        self._extended(group_id).rows[item.fields.id] = item
        yield from self._within_window()

    def reject(self, group_id: str, line: int) -> Iterator[FeedProduct | RowError]:
        """A row of the group on ``line`` was rejected: the group will make no product.

        Too late for a group already handed on (its row came beyond the window);
        the rejected row's own errors still say why it was skipped.
        """
        if group_id in self._handed_on:
            return
        group = self._extended(group_id)
        if group.rejected_line is None:
            group.rejected_line = line
        yield from self._within_window()

    def finish(self) -> Iterator[FeedProduct | RowError]:
        """The groups still open at the end of the feed."""
        while self._open:
            yield from self._hand_on_oldest()

    def _extended(self, group_id: str) -> _Group:
        """The group, opened if new, moved last in the window and counting one row more."""
        group = self._open.get(group_id)
        if group is None:
            group = self._open[group_id] = _Group()
        self._open.move_to_end(group_id)
        group.held += 1
        self._held += 1
        return group

    def _within_window(self) -> Iterator[FeedProduct | RowError]:
        while self._held > self._max_held_rows:
            yield from self._hand_on_oldest()

    def _hand_on_oldest(self) -> Iterator[FeedProduct | RowError]:
        group_id, group = self._open.popitem(last=False)
        self._held -= group.held
        self._handed_on.add(group_id)
        items = list(group.rows.values())
        if group.rejected_line is None:
            yield FeedProduct(items[0].line, group_id, [item.fields for item in items])
            return
        reason = (
            f"the product {group_id} is left as it was, "
            f"since its variant on line {group.rejected_line} is rejected"
        )
        for item in items:
            yield RowError(item.line, "item_group_id", reason)
