"""Apply order events: the order, its lines, its buyer and the buyer's aggregates."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from winback.apply.context import EventContext, micros, new_uid
from winback.catalog.apply import ensure_line_product
from winback.coupons.codes import normalize_code
from winback.orders.model import EVENT_AT, Order
from winback.orders.payloads import LineItem, OrderDeletePayload, OrderPayload
from winback.outcomes import APPLIED, DUPLICATE, STALE
from winback.shoppers.apply import upsert_embedded_customer
from winback.shoppers.erasure import address_erased_since, deleted_since
from winback.shoppers.model import Customer
from winback.shoppers.profile import record_purchase
from winback.storage.coupons import CouponUse
from winback.storage.workspace import Workspace

DELETED = "order_deleted"
_ORDER_DATA_EXCLUDE = {"discount_codes"}


def line_record(line: LineItem) -> dict[str, Any]:
    record = line.model_dump(mode="json", exclude_none=True)
    record["name"] = line.display_name
    return record


def apply_new_order(ws: Workspace, ctx: EventContext, payload: OrderPayload) -> str:
    """orders/create: an order sent without ``updated_at`` is as it was when placed (as
    an imported one is), not as of its arrival. A history sent late, or a create
    resent after an update, then stays older than the updates of the order. (Never
    later than the event: a ``created_at`` in a wrong time zone, hours ahead, would
    make the updates that follow it stale.)"""
    placed = min(payload.created_at, ctx.event_time)
    return apply_order(ws, ctx, payload, version=payload.updated_at or placed)


def apply_order(
    ws: Workspace, ctx: EventContext, payload: OrderPayload, version: datetime | None = None
) -> str:
    """orders/create and orders/update: both upsert; ``version`` is the order's
    ``updated_at``, else the time of the event."""
    version = version or payload.updated_at or ctx.event_time
    # Even a stale order tells who bought and what: those facts are kept.
    currency = payload.currency_in(ctx.store_currency)
    erased = deleted_since(ws, ctx.store_id, payload.buyer_id, payload.buyers_own_email, version)
    buyer = None if erased else _buyer(ws, ctx, payload, version)
    for line in payload.line_items:
        ensure_line_product(ws, ctx, line, currency, version)
    order = ws.order(ctx.store_id, payload.id)
    if _stale(ws, ctx, payload.id, order, version):
        return STALE
    # The same version of an order as stored (the same file imported again, a resend):
    # compared after it is written again, and left alone when nothing differs.
    stored_as = _stored_state(order) if _may_repeat(ws, order, version) else None
    stored_event_at = order.data.get(EVENT_AT, -1) if order is not None else -1
    order = _held_order(ws, ctx, payload, order, version, buyer)
    _write_order(order, payload, currency)
    order.version_at = version
    order.customer_uid = buyer.uid if buyer else None
    # Only the address the order gave: one it borrows from its buyer is read from the
    # buyer (see api/views.py), as of now rather than as of this delivery.
    order.email = payload.buyer_email
    if order.email and address_erased_since(ws, ctx.store_id, order.email, version):
        order.email = None  # (a checkout address erased since: as it is in time)
    if erased:
        # The buyer was erased after this version: keep the sale, not the person (and
        # no more of its data than an erasure leaves a stored order: none).
        order.email = None
        order.data = {}
    else:
        order.data[EVENT_AT] = micros(ctx.event_time)
    unchanged = stored_as is not None and _stored_state(order) == stored_as
    if buyer is not None and not unchanged:
        ws.aggregates_due.add((ctx.store_id, buyer.uid))
    _note_coupon_uses(ws, ctx, payload)
    if unchanged:
        # (its event's time is kept even so when later: a version between the two,
        # arriving last, must still yield to it)
        if stored_event_at >= order.data.get(EVENT_AT, -1):
            ws.untouch(order)
        return DUPLICATE
    return APPLIED


def _buyer(
    ws: Workspace, ctx: EventContext, payload: OrderPayload, version: datetime
) -> Customer | None:
    """The order's buyer, found or made, with the purchase recorded."""
    buyer = upsert_embedded_customer(ws, ctx, payload.customer, payload.buyer_email, version)
    if buyer is not None and not payload.test:
        # The buyer bought what was in their carts then, even if the order later
        # changed hands or went: every version converts, so delivery order cannot matter.
        # A test order (the store trying its checkout) bought nothing.
        ws.convert_carts(ctx.store_id, buyer.uid, payload.created_at)
        record_purchase(buyer, payload.id, payload.created_at, version)
    return buyer


def _stale(
    ws: Workspace, ctx: EventContext, order_id: str, order: Order | None, version: datetime
) -> bool:
    """Whether this version is older than the order's deletion or its stored version."""
    deleted_at = ws.marker(ctx.store_id, DELETED, order_id)
    if deleted_at is not None and deleted_at >= version:
        return True
    return order is not None and _newer(order, version, micros(ctx.event_time))


def _held_order(
    ws: Workspace,
    ctx: EventContext,
    payload: OrderPayload,
    order: Order | None,
    version: datetime,
    buyer: Customer | None,
) -> Order:
    """The stored order, marked for writing, or a new one."""
    if order is None:
        order = Order(
            uid=new_uid(),
            store_id=ctx.store_id,
            external_id=payload.id,
            created_at=payload.created_at,
            version_at=version,
            total_price=payload.computed_total(),
        )
        ws.add(order)
        return order
    if order.customer_uid and (buyer is None or buyer.uid != order.customer_uid):
        # (the order changed hands: its former buyer's figures lose it)
        ws.aggregates_due.add((ctx.store_id, order.customer_uid))
    ws.touch(order)
    return order


def _note_coupon_uses(ws: Workspace, ctx: EventContext, payload: OrderPayload) -> None:
    """Codes winback issued that this order carries are now used (flush marks them)."""
    ws.coupons_used.extend(
        CouponUse(ctx.store_id, normalize_code(discount.code), payload.id, payload.created_at)
        for discount in payload.discount_codes
        if discount.code.strip()
    )


def _newer(order: Order, version: datetime, event_at: int) -> bool:
    """Whether the stored order is newer than this version of it, told apart by the
    time of their events when both are of one time (an import's and a webhook's
    create, both as of its placing). An order stored without that time (before it
    was kept, or since an erasure emptied its data) yields to this one."""
    if order.version_at != version:
        return order.version_at > version
    return bool(order.data.get(EVENT_AT, -1) > event_at)


def _may_repeat(ws: Workspace, order: Order | None, version: datetime) -> bool:
    return order is not None and order.version_at == version and not ws.is_dirty(order)


def _stored_state(order: Order | None) -> tuple[Any, ...]:
    """What a repeat of the order would change, its event's time aside. (Shallow:
    writing an order replaces its lists and dicts, it never edits them.)"""
    kept = tuple(getattr(order, name) for name in _ORDER_FIELDS)
    data = getattr(order, "data", {})
    return (*kept, {name: value for name, value in data.items() if name != EVENT_AT})


_ORDER_FIELDS = tuple(field.name for field in fields(Order) if field.name != "data")


def _write_order(order: Order, payload: OrderPayload, currency: str) -> None:
    order.created_at = payload.created_at
    order.updated_at = payload.updated_at
    order.name = payload.name
    order.status = payload.status
    order.financial_status = payload.financial_status
    order.currency = currency
    order.subtotal_price = payload.subtotal_price
    order.total_discounts = payload.total_discounts
    order.total_tax = payload.total_tax
    order.total_shipping = payload.total_shipping
    order.total_price = payload.computed_total()
    order.test = payload.test
    # (codes keep their empty fields, as they always have)
    order.discount_codes = [code.model_dump(mode="json") for code in payload.discount_codes]
    # One dump of the whole order, its lines and buyer split off: a history import
    # writes this for every order, and a dump per line cost more than the lines' fields.
    data = payload.model_dump(mode="json", exclude=_ORDER_DATA_EXCLUDE, exclude_none=True)
    lines = data.pop("line_items", [])
    for line, record in zip(payload.line_items, lines, strict=True):
        record["name"] = line.display_name
    order.line_items = lines
    order.data = data


def apply_order_delete(ws: Workspace, ctx: EventContext, payload: OrderDeletePayload) -> str:
    version = ctx.event_time
    order = ws.order(ctx.store_id, payload.id)
    if order is not None and order.version_at > version:
        return STALE
    previous = ws.marker(ctx.store_id, DELETED, payload.id)
    if previous is None or previous < version:
        ws.set_marker(ctx.store_id, DELETED, payload.id, version)
    if order is not None:
        if order.customer_uid:
            ws.aggregates_due.add((ctx.store_id, order.customer_uid))
        ws.remove_order(order)
    return APPLIED
