"""The relational schema: every table winback keeps, and nothing else.

Every row belongs to one store (``store_id``). Money is exact (``Money``: a
``NUMERIC`` on PostgreSQL, scaled integers on SQLite), times are timezone-aware
UTC, the store's own ids are strings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only autoincrements an INTEGER PRIMARY KEY, PostgreSQL wants a bigint.
SeqId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (no zone support) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    # On SQLite the text form is written here in one step: SQLAlchemy's own (naive
    # time, then a format string) costs twice as much, for every time of every row a
    # batch writes. The text is the same: "YYYY-MM-DD HH:MM:SS.ffffff", in UTC.
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_utc_text


def _sqlite_utc_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    # (the first 26 characters leave out the "+00:00" an aware time ends with)
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


MONEY_PLACES = 4
_MONEY_SCALE = Decimal(1).scaleb(-MONEY_PLACES)


class Money(TypeDecorator[Decimal]):
    """Exact decimal money with 4 places.

    PostgreSQL keeps ``NUMERIC(20, 4)``. SQLite has no exact decimal: a value in
    a NUMERIC column becomes a binary float, so there it is stored as an integer
    count of ten-thousandths, which SQLite's own ``sum()`` adds exactly.
    """

    impl = Numeric(20, MONEY_PLACES, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # Bound as an integer all the way: SQLite's Numeric would pass a float.
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return int(Decimal(value).quantize(_MONEY_SCALE).scaleb(MONEY_PLACES))
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-MONEY_PLACES).quantize(_MONEY_SCALE)
        return Decimal(str(value)).quantize(_MONEY_SCALE)


stores = Table(
    "stores",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("domain", Text),
    Column("currency", String(3), nullable=False),
    Column("settings", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
)

store_keys = Table(
    "store_keys",
    metadata,
    Column("id", SeqId, primary_key=True, autoincrement=True),
    Column("store_id", String(40), ForeignKey("stores.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
)

raw_events = Table(
    "raw_events",
    metadata,
    Column("seq", SeqId, primary_key=True, autoincrement=True),
    Column("store_id", String(40), nullable=False),
    Column("source", String(16), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("event_time", UTCDateTime, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("http_status", Integer, nullable=False),
    Column("reason", Text),
    Column("pointer", Text),
    Column("applied_at", UTCDateTime),
    # When an erasure emptied ``body``, a refused delivery naming the person (apply/redact.py).
    Column("redacted_at", UTCDateTime),
    Index("ix_raw_events_store_seq", "store_id", "seq"),
    Index("ix_raw_events_store_digest", "store_id", "digest"),
    Index(
        "ix_raw_events_pending",
        "seq",
        sqlite_where=text("outcome = 'pending'"),
        postgresql_where=text("outcome = 'pending'"),
    ),
)

customers = Table(
    "customers",
    metadata,
    Column("uid", String(32), primary_key=True),
    Column("store_id", String(40), nullable=False),
    Column("external_id", String(255)),
    Column("email", String(320)),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("accepts_marketing", Boolean),
    Column("tags", JSON, nullable=False, default=list),
    Column("data", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("version_at", UTCDateTime, nullable=False),
    Column("orders_count", Integer, nullable=False, default=0),
    Column("total_spent", Money, nullable=False, default=Decimal(0)),
    Column("average_order_value", Money),
    Column("first_order_at", UTCDateTime),
    Column("last_order_at", UTCDateTime),
    # Copies of two profile registers (also in ``data``), indexed: a contact or a buyer
    # named by neither id nor email is found by them (shoppers/apply.py::find_customer).
    Column("pos_id", String(255)),
    Column("sms_phone_number", String(255)),
    Index("uq_customers_store_external", "store_id", "external_id", unique=True),
    Index("ix_customers_store_email", "store_id", "email"),
    Index("ix_customers_store_pos_id", "store_id", "pos_id"),
    Index("ix_customers_store_sms_phone_number", "store_id", "sms_phone_number"),
)

orders = Table(
    "orders",
    metadata,
    Column("uid", String(32), primary_key=True),
    Column("store_id", String(40), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("customer_uid", String(32)),
    Column("email", String(320)),
    Column("name", Text),
    Column("status", Text),
    Column("financial_status", Text),
    Column("currency", String(3)),
    Column("subtotal_price", Money),
    Column("total_discounts", Money),
    Column("total_tax", Money),
    Column("total_shipping", Money),
    Column("total_price", Money, nullable=False),
    Column("test", Boolean, nullable=False, default=False),
    Column("discount_codes", JSON, nullable=False, default=list),
    Column("line_items", JSON, nullable=False, default=list),
    Column("data", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime),
    Column("version_at", UTCDateTime, nullable=False),
    Index("uq_orders_store_external", "store_id", "external_id", unique=True),
    # A shopper's orders by customer, holding every column their aggregates read: the
    # figures are recomputed for each buyer of every batch, and from the table they
    # would read each order's whole row (past its JSON columns, often on overflow pages).
    Index(
        "ix_orders_customer_figures",
        "customer_uid",
        "store_id",
        "test",
        "created_at",
        "currency",
        "total_price",
    ),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_uid", String(32), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("store_id", String(40), nullable=False),
    Column("product_id", String(255)),
    Column("variant_id", String(255)),
    Column("sku", Text),
    Column("name", Text),
    Column("quantity", Numeric(20, 4, asdecimal=True), nullable=False),
    Column("price", Money),
    Index("ix_order_lines_store_product", "store_id", "product_id"),
)

products = Table(
    "products",
    metadata,
    Column("uid", String(32), primary_key=True),
    Column("store_id", String(40), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("sku", Text),
    Column("title", Text),
    Column("url", Text),
    Column("price", Money),
    Column("sale_price", Money),
    Column("currency", String(3)),
    Column("vendor", Text),
    Column("status", String(16), nullable=False),
    Column("categories", JSON, nullable=False, default=list),
    Column("images", JSON, nullable=False, default=list),
    Column("variants", JSON, nullable=False, default=list),
    Column("tags", JSON, nullable=False, default=list),
    Column("data", JSON, nullable=False, default=dict),
    Column("source", String(16), nullable=False),
    Column("content_digest", String(64)),
    Column("feed_run_id", SeqId),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("version_at", UTCDateTime, nullable=False),
    Index("uq_products_store_external", "store_id", "external_id", unique=True),
    Index("ix_products_store_sku", "store_id", "sku"),
)

carts = Table(
    "carts",
    metadata,
    Column("uid", String(32), primary_key=True),
    Column("store_id", String(40), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("customer_uid", String(32), index=True),
    Column("visitor_id", String(64)),
    Column("email", String(320)),
    Column("currency", String(3)),
    Column("total_price", Money),
    Column("status", String(16), nullable=False),
    Column("abandoned_checkout_url", Text),
    Column("line_items", JSON, nullable=False, default=list),
    Column("data", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("version_at", UTCDateTime, nullable=False),
    Index("uq_carts_store_external", "store_id", "external_id", unique=True),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("store_id", String(40), primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("type", String(32), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("reason", Text),
)

# A sign-up waiting or not for its double opt-in, and what that was decided from: see
# shoppers/optin.py. One per address: its latest sign-up that asked for one.
opt_in_requests = Table(
    "opt_in_requests",
    metadata,
    Column("store_id", String(40), primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("asked_at", UTCDateTime, nullable=False),
    Column("basis", JSON, nullable=False),
)

# Each time a customer left an address: when, and since when they had it (its last
# write before). An unsubscribe of the address, delivered after the change, still
# reaches its customer; an erasure forgets what it had held by then.
former_emails = Table(
    "former_emails",
    metadata,
    Column("store_id", String(40), primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("customer_uid", String(32), primary_key=True),
    Column("until", UTCDateTime, primary_key=True),
    Column("since", UTCDateTime, nullable=False),
    Index("ix_former_emails_customer", "store_id", "customer_uid"),
)

# Facts that must outlive the rows they are about: a deleted customer or order
# (so older events cannot resurrect it) and the time of the last consent change
# (so an older subscribe cannot undo a newer unsubscribe).
markers = Table(
    "markers",
    metadata,
    Column("store_id", String(40), primary_key=True),
    Column("kind", String(24), primary_key=True),
    Column("key", String(320), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

# How many transactions have written derived state (taken the apply lock), on
# SQLite: the applier works a batch out on a snapshot and writes it only if
# this has not moved since (see ``storage/locks.py``). One row, id 1.
derived_writes = Table(
    "derived_writes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("count", BigInteger, nullable=False),
)

activities = Table(
    "activities",
    metadata,
    Column("id", SeqId, primary_key=True, autoincrement=True),
    Column("store_id", String(40), nullable=False),
    Column("customer_uid", String(32)),
    Column("visitor_id", String(64)),
    Column("email", String(320)),
    Column("type", Text, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("properties", JSON, nullable=False),
    Column("raw_seq", SeqId),
    Index("ix_activities_store_customer", "store_id", "customer_uid", "occurred_at"),
    Index("ix_activities_store_visitor", "store_id", "visitor_id"),
)


feeds = Table(
    "feeds",
    metadata,
    Column("store_id", String(40), primary_key=True),
    Column("url", Text),
    Column("schedule_hours", Integer, nullable=False, default=24),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_run_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

feed_runs = Table(
    "feed_runs",
    metadata,
    Column("id", SeqId, primary_key=True, autoincrement=True),
    Column("store_id", String(40), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("source", Text),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("made_unavailable", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("errors", JSON, nullable=False, default=list),
    Column("reason", Text),
    # Row errors beyond those kept in ``errors`` (migration 0004).
    Column("errors_not_listed", Integer, nullable=False, default=0, server_default="0"),
    Index("ix_feed_runs_store", "store_id", "id"),
)

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("store_id", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("filename", Text),
    Column("dry_run", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("bytes_total", BigInteger),
    Column("bytes_read", BigInteger, nullable=False, default=0),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("imported", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0, server_default="0"),
    Column("skipped", Integer, nullable=False, default=0),
    Column("errors", JSON, nullable=False, default=list),
    Column("reason", Text),
    # Written every few seconds by the process running the job (see imports.runs).
    Column("heartbeat_at", UTCDateTime),
    Index("ix_import_jobs_store", "store_id", "created_at"),
)

# An anonymous browser (first-party cookie id) and, once known, the shopper behind it.
visitors = Table(
    "visitors",
    metadata,
    Column("store_id", String(40), primary_key=True),
    Column("visitor_id", String(64), primary_key=True),
    Column("customer_uid", String(32)),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("identified_at", UTCDateTime),
    Index("ix_visitors_customer", "store_id", "customer_uid"),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", SeqId, primary_key=True, autoincrement=True),
    Column("store_id", String(40), nullable=False),
    Column("code", String(64), nullable=False),
    Column("rule_id", String(255), nullable=False),
    Column("email", String(320)),
    Column("expires_at", UTCDateTime),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime),
    Column("used_order_id", String(255)),
    Index("uq_coupons_store_code", "store_id", "code", unique=True),
    Index("ix_coupons_store_email", "store_id", "email"),
)
