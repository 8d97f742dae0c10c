"""Read API routes: thin wrappers over storage reads and views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import Connection

from winback.api.schemas import (
    ActivityPage,
    CartView,
    CustomerPage,
    CustomerView,
    EventPage,
    OrderPage,
    OrderView,
    ProductView,
    SuppressionPage,
)
from winback.api.views import (
    cart_view,
    customer_view,
    event_view,
    order_view,
    product_view,
    suppression_view,
    timeline_view,
)
from winback.errors import Conflict, InvalidPayload, NotFound
from winback.outcomes import OUTCOMES
from winback.shoppers.model import Customer
from winback.storage import reads
from winback.storage.timeline import timeline_page
from winback.web import paths  # noqa: F401 (registers the external_id convertor)
from winback.web.deps import SINGLE_VALUED_QUERY, Filter, RuntimeDep, StoreDep
from winback.web.openapi import answers

# The views' dicts are returned as they are (response_model=None); what they hold is
# declared for /openapi.json with answers().
router = APIRouter(prefix="/api/v1", tags=["read API"], dependencies=[SINGLE_VALUED_QUERY])

Limit = Annotated[int, Query(ge=1, le=500)]
T = TypeVar("T")
Route = TypeVar("Route", bound=Callable[..., Any])


EVENT_OUTCOMES = frozenset(OUTCOMES)


def _read(
    path: str, answer: type[BaseModel], *errors: int, summary: str
) -> Callable[[Route], Route]:
    """A read route: its 200 is documented by ``answer`` (the view dicts are returned as
    they are, not run through the model), with its errors in winback's shape."""
    return router.get(
        path, response_model=None, responses=answers(answer, *errors), summary=summary
    )


def _found(value: T | None, kind: str, external_id: str) -> T:
    if value is None:
        raise NotFound(f"no {kind} with id {external_id!r}")
    return value


def _shopper(conn: Connection, store_id: str, customer_id: str) -> Customer:
    """By the store's customer id; a shopper known only by email may be named by it."""
    customer = reads.customer(conn, store_id, customer_id)
    if customer is not None:
        return customer
    found = reads.customers_by_email(conn, store_id, customer_id) if "@" in customer_id else []
    if len(found) > 1:
        raise Conflict(f"several customers have the email {customer_id!r}; name one by its id")
    if not found:
        raise NotFound(f"no customer with id {customer_id!r}")
    return found[0]


# Before GET /customers/{id}: an id sent with its slashes unencoded would match both.
@_read(
    "/customers/{customer_id:external_id}/activity",
    ActivityPage,
    400,
    401,
    404,
    409,
    summary="A shopper's timeline, newest first",
)
def customer_activity(
    customer_id: str,
    store: StoreDep,
    runtime: RuntimeDep,
    cursor: str | None = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Views, searches, custom events, carts and orders, including what the shopper did
    in the browser before they were identified."""
    with runtime.reader.connect() as conn:
        customer = _shopper(conn, store.id, customer_id)
        entries, next_cursor = timeline_page(conn, store.id, customer.uid, cursor, limit)
    return {
        "customer_id": customer.external_id,
        "email": customer.email,
        "items": [timeline_view(entry, customer) for entry in entries],
        "next_cursor": next_cursor,
    }


@_read(
    "/customers/{customer_id:external_id}",
    CustomerView,
    401,
    404,
    409,
    summary="A customer, with consent and aggregates (by id, or a guest by email)",
)
def get_customer(customer_id: str, store: StoreDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.reader.connect() as conn:
        # (as the timeline and the orders filter name a shopper: a guest has no id)
        customer = _shopper(conn, store.id, customer_id)
        types = reads.suppression_types(conn, store.id, [customer.email] if customer.email else [])
    return customer_view(customer, types.get(customer.email or "", []))


@_read(
    "/customers", CustomerPage, 400, 401, summary="Customers, by email or all (cursor pagination)"
)
def list_customers(
    store: StoreDep,
    runtime: RuntimeDep,
    email: Filter | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    with runtime.reader.connect() as conn:
        found, next_cursor = reads.customers_page(conn, store.id, cursor, limit, email)
        emails = [c.email for c in found if c.email]
        types = reads.suppression_types(conn, store.id, emails)
    return {
        "items": [customer_view(c, types.get(c.email or "", [])) for c in found],
        "next_cursor": next_cursor,
    }


def _buyers(runtime: RuntimeDep, store_id: str, uids: set[str | None]) -> dict[str, Customer]:
    """The shoppers behind orders or carts, by uid (those that have one)."""
    with runtime.reader.connect() as conn:
        found = {uid: reads.customer_by_uid(conn, store_id, uid) for uid in uids if uid}
    return {uid: customer for uid, customer in found.items() if customer is not None}


@_read(
    "/orders/{order_id:external_id}", OrderView, 401, 404, summary="An order with its line items"
)
def get_order(order_id: str, store: StoreDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.reader.connect() as conn:
        order = _found(reads.order(conn, store.id, order_id), "order", order_id)
    buyers = _buyers(runtime, store.id, {order.customer_uid})
    return order_view(order, buyers.get(order.customer_uid or ""))


@_read(
    "/orders",
    OrderPage,
    400,
    401,
    409,
    summary="Orders, optionally of one customer, by id or (a guest) email (cursor pagination)",
)
def list_orders(
    store: StoreDep,
    runtime: RuntimeDep,
    customer_id: Filter | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    with runtime.reader.connect() as conn:
        customer_uid = None
        if customer_id is not None:
            # (by the store's id; a guest, known only by email, by the email)
            try:
                customer_uid = _shopper(conn, store.id, customer_id).uid
            except NotFound:
                return {"items": [], "next_cursor": None}
        found, next_cursor = reads.orders_page(conn, store.id, customer_uid, cursor, limit)
    buyers = _buyers(runtime, store.id, {o.customer_uid for o in found})
    return {
        "items": [order_view(o, buyers.get(o.customer_uid or "")) for o in found],
        "next_cursor": next_cursor,
    }


@_read(
    "/products/{product_id:external_id}",
    ProductView,
    401,
    404,
    summary="A product, its variants and status",
)
def get_product(product_id: str, store: StoreDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.reader.connect() as conn:
        product = _found(reads.product(conn, store.id, product_id), "product", product_id)
    return product_view(product)


@_read("/carts/{cart_id:external_id}", CartView, 401, 404, summary="A cart and its contents")
def get_cart(cart_id: str, store: StoreDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.reader.connect() as conn:
        cart = _found(reads.cart(conn, store.id, cart_id), "cart", cart_id)
    buyers = _buyers(runtime, store.id, {cart.customer_uid})
    return cart_view(cart, buyers.get(cart.customer_uid or ""))


@_read(
    "/suppressions",
    SuppressionPage,
    400,
    401,
    summary="The suppression list, or one address's entries (cursor pagination)",
)
def list_suppressions(
    store: StoreDep,
    runtime: RuntimeDep,
    email: Filter | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    with runtime.reader.connect() as conn:
        rows, next_cursor = reads.suppressions_page(conn, store.id, email, cursor, limit)
    return {"items": [suppression_view(row) for row in rows], "next_cursor": next_cursor}


@_read("/events", EventPage, 400, 401, summary="The integration log, newest first")
def list_events(
    store: StoreDep,
    runtime: RuntimeDep,
    type: str | None = None,
    outcome: Annotated[
        str | None, Query(json_schema_extra={"enum": sorted(EVENT_OUTCOMES)})
    ] = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    if outcome is not None:
        outcome = outcome.strip().lower()  # (as type is matched: in any case)
        if outcome not in EVENT_OUTCOMES:
            raise InvalidPayload(
                f"outcome must be one of {', '.join(sorted(EVENT_OUTCOMES))}",
                code="invalid_request",
                parameter="outcome",
            )
    if type is not None and not type.strip():
        raise InvalidPayload(
            "type must not be empty (leave it out for every type)",
            code="invalid_request",
            parameter="type",
        )
    with runtime.reader.connect() as conn:
        rows, next_cursor = reads.events_page(conn, store.id, type, outcome, cursor, limit)
    return {"items": [event_view(row) for row in rows], "next_cursor": next_cursor}
