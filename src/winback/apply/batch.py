"""Apply a batch of raw events in one transaction, in the order they were received."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection

from winback.activity.apply import activity_identity
from winback.apply.context import EventContext
from winback.apply.dispatch import apply_payload
from winback.apply.item import ApplyItem
from winback.apply.redact import empty_refusals_of_erased
from winback.carts.model import CART_ERASED
from winback.catalog.description import ProductDescription
from winback.catalog.model import Product
from winback.catalog.payloads import ProductPayload
from winback.errors import WinbackError
from winback.fields import stored_input
from winback.intake.checked import CheckedEvents
from winback.intake.topics import Topic
from winback.intake.validation import parse_payload
from winback.orders.apply import DELETED as ORDER_DELETED
from winback.orders.payloads import OrderPayload, Purchase
from winback.outcomes import DUPLICATE, REJECTED, STALE
from winback.shoppers.erasure import DELETED as CUSTOMER_DELETED
from winback.shoppers.erasure import tombstone_keys
from winback.shoppers.model import CONSENT
from winback.shoppers.payloads import CustomerPayload, SubscribePayload, UnsubscribePayload
from winback.storage.flush import flush
from winback.storage.pending import Outcome, PendingEvent, applied_digests
from winback.storage.workspace import Workspace
from winback.stores.service import stores_by_id
from winback.tracking.model import linkable_visitor_id


def _parse(event: PendingEvent, checked: CheckedEvents | None) -> ApplyItem:
    topic = Topic(event.topic)
    found = checked.take(event.seq) if checked is not None else None
    if found is not None:
        body, payload = found.body, found.payload
    else:
        body = orjson.loads(event.body)
        if not isinstance(body, dict):
            raise WinbackError("the body is not a JSON object", pointer="")
        payload = parse_payload(topic, body)
    return ApplyItem(
        store_id=event.store_id,
        topic=topic,
        event_type=event.event_type,
        payload=payload,
        body=body,
        event_time=event.event_time,
        source=event.source,
        seq=event.seq,
        digest=event.digest,
        visitor_id=linkable_visitor_id(event.headers.get("x-visitor-id")),
    )


# A removal whose body repeats an earlier delivery's is applied again. Sent
# without x-event-time, a second unsubscribe (or erasure, or product or order
# deletion) after a subscribe (a sign-up, a restock, a restored order) has the
# first one's body, and dropped as its duplicate it would leave the shopper
# subscribed. Applied again, a removal changes nothing if nothing came in
# between; if a late resend is taken for a new removal, the shopper is left
# unsubscribed or erased, the safe side. A subscribe is not repeated, for the
# same reason: a late resend must not undo an unsubscribe (a sender tells a new
# subscribe from a resend by x-event-time).
REPEATED_REMOVALS = frozenset(
    {Topic.UNSUBSCRIBE, Topic.CUSTOMER_DELETE, Topic.PRODUCT_DELETE, Topic.ORDER_DELETE}
)


def _repeats(item: ApplyItem, seen: set[tuple[str, str]]) -> bool:
    """Whether ``item`` is a delivery of an event already applied (a resend)."""
    if item.digest is None or item.topic in REPEATED_REMOVALS:
        return False
    return (item.store_id, item.digest) in seen


def _people(item: ApplyItem) -> list[tuple[str | None, str | None]]:
    """The (id, email) pairs an item names, as its apply function will look them up."""
    payload = item.payload
    if isinstance(payload, CustomerPayload):
        return [(payload.id, payload.email)]
    if isinstance(payload, Purchase):
        own_email = payload.customer.email if payload.customer else None
        # The buyer is checked against erasures by the order's email and by its own.
        return [(payload.buyer_id, payload.buyer_email), (payload.buyer_id, own_email)]
    if isinstance(payload, SubscribePayload):
        return [(payload.customerId, payload.email)]
    if isinstance(payload, UnsubscribePayload):
        return [(None, payload.email)]
    if item.topic is Topic.CUSTOM:
        return [activity_identity(item.body)]
    return []


def _named_otherwise(item: ApplyItem) -> tuple[str | None, str | None]:
    """The (pos_id, phone) a customer or buyer named by neither id nor email is found by."""
    payload = item.payload
    person = payload.customer if isinstance(payload, Purchase) else payload
    if not isinstance(person, CustomerPayload) or person.id or person.email:
        return None, None
    if isinstance(payload, Purchase) and payload.buyer_email:
        return None, None
    return person.pos_id, person.sms_phone_number_e164


def _preload(ws: Workspace, items: list[ApplyItem]) -> None:
    """Load what the batch will read with a few queries per kind, not one per event."""
    keys: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in items:
        wanted = keys[item.store_id]
        for external_id, email in _people(item):
            if external_id:
                wanted["customers"].add(external_id)
            if email:
                wanted["emails"].add(email)
            wanted["tombstones"].update(tombstone_keys(external_id, email))
        pos_id, phone = _named_otherwise(item)
        if pos_id:
            wanted["pos_ids"].add(pos_id)
        elif phone:
            wanted["phones"].add(phone)
        payload = item.payload
        if isinstance(payload, Purchase):
            wanted["orders" if isinstance(payload, OrderPayload) else "carts"].add(payload.id)
        if item.visitor_id is not None:
            wanted["visitors"].add(item.visitor_id)
    for store_id, product_id in _named_products(items):
        keys[store_id]["products"].add(product_id)
    for store_id, wanted in keys.items():
        _preload_store(ws, store_id, wanted)


def _named_products(items: list[ApplyItem]) -> set[tuple[str, str]]:
    """The (store, product id) of every product the items name, or may replace."""
    named: set[tuple[str, str]] = set()
    for item in items:
        payload = item.payload
        if isinstance(payload, Purchase):
            named.update(
                (item.store_id, line.product_id) for line in payload.line_items if line.product_id
            )
        elif isinstance(payload, (ProductPayload, ProductDescription)):
            named.add((item.store_id, payload.id))
            if payload.sku:  # a product created under this sku by a line it replaces
                named.add((item.store_id, payload.sku))
    return named


def _preload_store(ws: Workspace, store_id: str, wanted: dict[str, set[str]]) -> None:
    ws.preload(
        store_id,
        customer_ids=wanted["customers"],
        emails=wanted["emails"],
        order_ids=wanted["orders"],
        product_ids=wanted["products"],
        cart_ids=wanted["carts"],
        visitor_ids=wanted["visitors"],
        pos_ids=wanted["pos_ids"],
        phones=wanted["phones"],
    )
    ws.preload_suppressions(store_id, wanted["emails"])
    held = [c for c in ws.customers.values() if c.store_id == store_id]
    if wanted["carts"]:  # a cart checks whether its shopper has bought since
        ws.preload_last_orders(store_id, [c.uid for c in held])
    # Every held customer's own id and email too: an erasure of either reaches it.
    tombstones = set(wanted["tombstones"])
    for customer in held:
        tombstones.update(tombstone_keys(customer.external_id, customer.email))
    ws.preload_markers(store_id, CUSTOMER_DELETED, tombstones)
    ws.preload_markers(store_id, ORDER_DELETED, wanted["orders"])
    ws.preload_markers(store_id, CART_ERASED, wanted["carts"])
    ws.preload_markers(store_id, CONSENT, wanted["emails"])
    ws.preload_former_emails(store_id, wanted["emails"])


def parse_events(
    events: list[PendingEvent], checked: CheckedEvents | None = None
) -> tuple[list[ApplyItem], list[Outcome]]:
    """The events as items to apply, and the outcomes of those that cannot be.

    An event found in ``checked`` is taken as the intake parsed it, not parsed again.
    """
    items: list[ApplyItem] = []
    refused: list[Outcome] = []
    for event in events:
        try:
            with stored_input():
                items.append(_parse(event, checked))
        except (WinbackError, ValueError) as error:
            reason = error.reason if isinstance(error, WinbackError) else str(error)
            pointer = error.pointer if isinstance(error, WinbackError) else None
            refused.append(Outcome(event.seq, REJECTED, reason, pointer))
    return items, refused


def apply_parsed(conn: Connection, items: list[ApplyItem], refused: list[Outcome]) -> list[Outcome]:
    """Apply parsed events and write the result; returns each event's outcome."""
    return _outcomes(items, apply_items(conn, items), refused)


def _outcomes(items: list[ApplyItem], results: list[str], refused: list[Outcome]) -> list[Outcome]:
    outcomes = list(refused)
    for item, result in zip(items, results, strict=True):
        assert item.seq is not None
        outcomes.append(Outcome(item.seq, result, _REASONS.get(result)))
    return outcomes


@dataclass(frozen=True)
class WorkedOut:
    """A batch applied in memory on what one connection read: each item's outcome,
    and the changes, not yet written."""

    workspace: Workspace
    results: list[str]


def work_out(conn: Connection, items: list[ApplyItem]) -> WorkedOut:
    """Apply ``items`` in memory on what ``conn`` reads (a snapshot), writing nothing.

    What it works out is right to write only while what was read is still what is
    stored: see ``write_worked_out``.
    """
    return WorkedOut(*_work_out(conn, items))


def write_worked_out(
    conn: Connection, worked: WorkedOut, items: list[ApplyItem], refused: list[Outcome]
) -> list[Outcome]:
    """Write a batch worked out by ``work_out`` through ``conn``; returns each event's
    outcome. The caller makes sure no one wrote derived state since the snapshot."""
    worked.workspace.conn = conn
    flush(worked.workspace)
    return _outcomes(items, worked.results, refused)


def apply_batch(
    conn: Connection, events: list[PendingEvent], checked: CheckedEvents | None = None
) -> list[Outcome]:
    """Apply raw events (sorted by seq) and write the result; returns each one's outcome."""
    return apply_parsed(conn, *parse_events(events, checked))


_REASONS = {
    # (an event older than its customer's erasure is stale too: the erasure is newer)
    STALE: (
        "a newer version is already stored (or, for a customer, another of the same time),"
        " or the customer it names was erased after it"
    ),
    DUPLICATE: "the same event was applied before",
}


@dataclass
class CarriedProducts:
    """Products as a batch left them stored, for the next batch of the same bulk load
    (see ``apply.direct.BulkApplier``): given only while they are known to be exact."""

    products: list[Product] = field(default_factory=list)


def apply_items(
    conn: Connection, items: list[ApplyItem], carried: CarriedProducts | None = None
) -> list[str]:
    """Apply items in order in the caller's transaction; returns each one's outcome.

    Webhooks, browser events, feed rows and CSV rows all go through the same apply
    function for their topic (``_work_out_items``); ``winback worker`` on SQLite
    takes its own way here, ``work_out`` then ``write_worked_out``. With
    ``carried``, its products are taken as stored instead of read again, and it
    is given this batch's products as flushed.
    """
    ws, results = _work_out(conn, items, carried)
    flush(ws)
    if carried is not None:
        carried.products = [product for product in ws.products.values() if product is not None]
    return results


def _work_out(
    conn: Connection, items: list[ApplyItem], carried: CarriedProducts | None = None
) -> tuple[Workspace, list[str]]:
    """Each item's outcome, and the workspace holding the changes, not yet written.

    Items are applied by the rules they were accepted under (``stored_input``): an
    event acknowledged before a check was added is not refused by it later.
    """
    with stored_input():
        return _work_out_items(conn, items, carried)


def _work_out_items(
    conn: Connection, items: list[ApplyItem], carried: CarriedProducts | None
) -> tuple[Workspace, list[str]]:
    ws = Workspace(conn)
    if carried is not None:
        named = _named_products(items)  # (the rest is let go: the carry stays a batch's size)
        for product in carried.products:
            if (product.store_id, product.external_id) in named:
                ws.hold(product)
    seen = applied_digests(
        conn, [(item.store_id, item.digest) for item in items if item.digest is not None]
    )
    store_of = stores_by_id(conn, {item.store_id for item in items})
    _preload(ws, items)
    results: list[str] = []
    for item in items:
        if _repeats(item, seen):
            results.append(DUPLICATE)
            continue
        store = store_of[item.store_id]
        ctx = EventContext(
            store_id=item.store_id,
            store_currency=store.currency,
            double_opt_in=store.double_opt_in,
            event_time=item.event_time,
            seq=item.seq,
            source=item.source,
            visitor_id=item.visitor_id,
        )
        results.append(apply_payload(ws, ctx, item.topic, item.event_type, item.payload, item.body))
        if item.digest is not None:
            seen.add((item.store_id, item.digest))
    empty_refusals_of_erased(ws)
    return ws, results
