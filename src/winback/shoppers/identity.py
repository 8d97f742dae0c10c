"""Who an event names: a customer by the store's id, else by email (as of the
event's time, for an address left since), else by a point-of-sale id or phone."""

from __future__ import annotations

from datetime import datetime

from winback.apply.context import IMPLIED_VERSION, new_uid
from winback.shoppers.model import Customer
from winback.shoppers.profile import ID_SEEN, IMPLIED, set_field
from winback.storage.workspace import Workspace, naming_order


def find_customer(
    ws: Workspace,
    store_id: str,
    external_id: str | None,
    email: str | None,
    *,
    pos_id: str | None = None,
    phone: str | None = None,
    at: datetime | None = None,
) -> Customer | None:
    """The customer with this id, else the one with this email that has no other id.

    Named by an email alone as of ``at``, which no one has now, it is the customer who
    had it then and has left it since (``former_holder``). Only someone named by
    neither (a contact or a buyer known by a point-of-sale id or a phone number alone)
    is found by the pos_id, else the phone, a customer holds.
    """
    if external_id:
        customer = ws.customer_by_external_id(store_id, external_id)
        if customer is not None:
            return customer
    if email:
        customer = ws.customer_by_email(store_id, email)
        if customer is not None and (external_id is None or customer.external_id is None):
            return customer
        if customer is None and external_id is None and at is not None:
            return former_holder(ws, store_id, email, at)
    if external_id or email:
        return None
    if pos_id:
        return ws.customer_by_pos_id(store_id, pos_id)
    return ws.customer_by_phone(store_id, phone) if phone else None


def former_holder(ws: Workspace, store_id: str, email: str, at: datetime) -> Customer | None:
    """The customer who left ``email`` first after ``at``: an event naming the address
    alone as of then was theirs (delivered before they left it, it found them; one
    from before they had it was merged into them when they took it)."""
    left = [(until, person) for person, until in ws.former_owners(store_id, email) if until > at]
    if not left:
        return None
    return min(left, key=lambda entry: (entry[0], naming_order(entry[1])))[1]


def create_customer(
    ws: Workspace,
    store_id: str,
    external_id: str | None,
    email: str | None,
    version: datetime = IMPLIED_VERSION,
) -> Customer:
    customer = Customer(
        uid=new_uid(), store_id=store_id, external_id=external_id, email=email, version_at=version
    )
    ws.add(customer)
    return customer


def claim_id(customer: Customer, external_id: str, at: datetime) -> None:
    """The store's id names this customer as of ``at`` (kept as a register, so an
    erasure as of a later time takes the id away with the rest)."""
    if customer.external_id is None:
        customer.external_id = external_id
    if customer.external_id == external_id:
        set_field(customer, ID_SEEN, external_id, IMPLIED, at)
