"""Sorting out a feed's products in the reader process, ahead of the applying one.

Validating a product's payload and building its description cost about as
much as everything else the applying process does for it. The reader process
(see ``reader``) has a core of its own, so it takes a share of that work. It
looks up the stored digests of each batch it reads (a short read beside the
applying process's writes); it hands on an unchanged product as its id
alone, and a share of the changed ones as their description instead of
their rows. The share follows whichever side is behind (``Share``): on a
first sync the reader describes about half of the products.

The applying process trusts an unchanged product to be so: a webhook that
changes it after the reader looked wins, as it would had it come after the
sync's batch. A described product is compared with what is stored again; the
rest of the changed products the applying process describes itself (a row
whose payload is refused among them, which it reports with its line).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy import Engine

from winback.catalog.description import describe_product
from winback.feeds.records import (
    DescribedProduct,
    FeedProduct,
    ReadProduct,
    ReadRecord,
    UnchangedProduct,
)
from winback.storage import feeds as feed_storage

# Every WINDOW_SECONDS the reader looks at the part of that time it spent waiting to
# write, and moves its share by GAIN times the difference from TARGET_WAITING: a
# little waiting means the applying side is the slower one, but only just.
WINDOW_SECONDS = 1.0
TARGET_WAITING = 0.05
GAIN = 1.0


class Share:
    """The part of the changed products the reader describes, so both sides stay busy.

    The reader waits to write when the applying side's queue is full: it has
    time to spare, and describes more. When it never waits, the applying side
    waits for it, and it describes fewer. The applying side takes messages a
    batch at a time, so waits come in bursts: the share moves once a window,
    by how far the time spent waiting is from a little.
    """

    def __init__(self, value: float = 0.5):
        self.value = value
        self._window_started = time.monotonic()
        self._waited = 0.0

    def heard_write(self, waited_seconds: float) -> None:
        self._waited += waited_seconds
        now = time.monotonic()
        elapsed = now - self._window_started
        if elapsed < WINDOW_SECONDS:
            return
        waiting = self._waited / elapsed
        self.value = min(1.0, max(0.0, self.value + GAIN * (waiting - TARGET_WAITING)))
        self._window_started, self._waited = now, 0.0


class Describer:
    """Sorts out a batch of one store's feed against what is stored: unchanged
    products go on as such, a share of the changed ones with their description."""

    def __init__(self, engine: Engine, store_id: str):
        self._engine = engine
        self._store_id = store_id
        self._credit = 0.0  # spreads the share evenly over the products

    def prepare(self, records: Sequence[ReadRecord], share: float) -> list[ReadRecord]:
        products = [record for record in records if isinstance(record, FeedProduct)]
        with self._engine.connect() as conn:
            stored = feed_storage.stored_products(conn, self._store_id, [p.id for p in products])
        return [
            self._prepared(record, stored.get(record.id), share)
            if isinstance(record, FeedProduct)
            else record
            for record in records
        ]

    def _prepared(
        self, product: FeedProduct, known: feed_storage.StoredProduct | None, share: float
    ) -> ReadProduct:
        if known is not None and product.unchanged_from(known):
            return UnchangedProduct(product.line, product.id)
        self._credit += share
        if self._credit < 1.0:
            return product
        self._credit -= 1.0
        try:
            return DescribedProduct(product.line, describe_product(product.payload))
        except ValidationError:
            return product  # reported by the applying process, with the row's line
