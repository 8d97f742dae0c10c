"""Applying a feed's products in batches, through the same apply functions as webhooks.

Per batch, in one transaction under the apply lock: read the stored digest and
status of every product; apply only the new and changed ones (as
``products/update`` items, like a webhook; the apply stores the new digest);
note that this run saw every product, changed or not. A product is unchanged
when its stored digest is the feed content's and its status is what the feed
says. Everything happens on the run's one connection, which holds the record
of what the run has seen (see ``storage.feeds``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from winback.apply.batch import apply_items
from winback.apply.item import ApplyItem
from winback.catalog.model import SOURCE_FEED
from winback.feeds.model import FeedRun
from winback.feeds.records import DescribedProduct, FeedProduct, ReadProduct, UnchangedProduct
from winback.imports.problems import RowError, row_errors
from winback.intake.topics import Topic
from winback.storage import feeds as feed_storage
from winback.storage.locks import take_apply_lock

log = structlog.get_logger(__name__)

BATCH_SIZE = 2000
# Table statistics are refreshed when this many products were created, then 4x as many...
FIRST_STATISTICS_AT = 2000
EVENT_TYPE = "products/update"
# Payload fields named after the feed columns they come from, for row errors.
_COLUMNS = {"url": "link", "image": "image_link", "vendor": "brand", "body_html": "description"}


@dataclass
class _Sorted:
    """One batch sorted out against what is stored."""

    to_apply: list[FeedProduct | DescribedProduct] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0


class FeedApplier:
    """Collects a run's products and applies them a batch at a time; counts into the run."""

    def __init__(self, conn: Connection, run: FeedRun, *, batch_size: int = BATCH_SIZE):
        self._conn = conn
        self._run = run
        self._batch_size = batch_size
        self._pending: list[ReadProduct] = []
        self._rejected_ids: list[str] = []
        self._statistics_at = FIRST_STATISTICS_AT
        self.products = 0
        self.row_errors: list[RowError] = []

    def add(self, product: ReadProduct) -> None:
        self.products += 1
        self._pending.append(product)
        if len(self._pending) >= self._batch_size:
            self.flush()

    def keep_rejected(self, product_id: str) -> None:
        """A product whose row was refused: left as it is, and not counted gone."""
        self._rejected_ids.append(product_id)

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        rejected, self._rejected_ids = self._rejected_ids, []
        if not batch and not rejected:
            return
        try:
            with self._conn.begin():
                done = self._apply(batch, rejected)
        except SQLAlchemyError as error:
            # One product the database refuses must not take its batch with it.
            log.warning("feed batch failed, applying one by one", error=repr(error))
            self._apply_one_by_one(batch, rejected)
        else:
            self._count(done)

    def _apply(self, batch: list[ReadProduct], rejected: list[str]) -> _Sorted:
        conn = self._conn
        take_apply_lock(conn)
        ids = [product.id for product in batch]
        stored = feed_storage.stored_products(conn, self._run.store_id, ids)
        done = self._sort(batch, stored, feed_storage.seen_before(conn, ids))
        items = [self._item(product) for product in done.to_apply]
        apply_items(conn, items)
        applied = [product.id for product in done.to_apply]
        feed_storage.add_seen(conn, applied + done.unchanged + rejected)
        done.created = sum(1 for product_id in applied if product_id not in stored)
        return done

    def _count(self, done: _Sorted) -> None:
        """Counted only after the batch's transaction committed."""
        self._run.created += done.created
        self._run.updated += len(done.to_apply) - done.created
        self._run.unchanged += len(done.unchanged)
        self.row_errors.extend(done.errors)
        if self._run.created >= self._statistics_at:
            self._statistics_at *= 4
            with self._conn.begin():
                feed_storage.refresh_statistics(self._conn)

    def _sort(
        self,
        batch: list[ReadProduct],
        stored: dict[str, feed_storage.StoredProduct],
        seen: set[str],
    ) -> _Sorted:
        result = _Sorted()
        for product in batch:
            if product.id in seen:
                reason = f"the id {product.id} appears earlier in the feed; this row is skipped"
                result.errors.append(RowError(product.line, "id", reason))
                continue
            seen.add(product.id)
            known = stored.get(product.id)
            if isinstance(product, UnchangedProduct) or (
                known is not None and product.unchanged_from(known)
            ):
                result.unchanged.append(product.id)
                continue
            if isinstance(product, DescribedProduct):
                result.to_apply.append(product)
                continue
            try:
                product.payload  # noqa: B018 - built now, so a refusal is a row error
            except ValidationError as error:
                result.errors.extend(row_errors(error, line=product.line, columns=_COLUMNS))
                continue
            result.to_apply.append(product)
        return result

    def _item(self, product: FeedProduct | DescribedProduct) -> ApplyItem:
        return ApplyItem(
            store_id=self._run.store_id,
            topic=Topic.PRODUCT_UPDATE,
            event_type=EVENT_TYPE,
            payload=(
                product.description if isinstance(product, DescribedProduct) else product.payload
            ),
            body={},
            event_time=self._run.started_at,
            source=SOURCE_FEED,
        )

    def _apply_one_by_one(self, batch: list[ReadProduct], rejected: list[str]) -> None:
        for product in batch:
            try:
                with self._conn.begin():
                    done = self._apply([product], [])
                self._count(done)
            except SQLAlchemyError as error:
                reason = f"the product could not be stored: {type(error).__name__}"
                self.row_errors.append(RowError(product.line, None, reason))
        with self._conn.begin():
            feed_storage.add_seen(self._conn, rejected)
