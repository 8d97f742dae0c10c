"""Apply customer events: identity by id then email, versions, erasure with a tombstone."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from winback.apply.context import APPLIED, IMPLIED_VERSION, STALE, EventContext, new_uid
from winback.shoppers.model import Customer
from winback.shoppers.payloads import CustomerDeletePayload, CustomerPayload
from winback.storage.workspace import Workspace

DELETED = "customer_deleted"
PROFILE_FIELDS = (
    "title",
    "gender",
    "birthdate",
    "groups",
    "default_address",
    "rewards",
    "verified_email",
    "guest",
    "pos_id",
    "sms_phone_number_e164",
    "info",
)


def tombstone_keys(external_id: str | None, email: str | None) -> list[str]:
    """Marker keys of a deleted person; the email is kept only as a digest."""
    keys = []
    if external_id:
        keys.append("id:" + external_id)
    if email:
        keys.append("email:" + hashlib.sha256(email.encode()).hexdigest())
    return keys


def deleted_since(
    ws: Workspace, store_id: str, external_id: str | None, email: str | None, version: datetime
) -> bool:
    """True when the person was erased at or after ``version``."""
    for key in tombstone_keys(external_id, email):
        deleted_at = ws.marker(store_id, DELETED, key)
        if deleted_at is not None and deleted_at >= version:
            return True
    return False


def find_customer(
    ws: Workspace, store_id: str, external_id: str | None, email: str | None
) -> Customer | None:
    """The customer with this id, else the one with this email that has no other id."""
    if external_id:
        customer = ws.customer_by_external_id(store_id, external_id)
        if customer is not None:
            return customer
    if email:
        customer = ws.customer_by_email(store_id, email)
        if customer is not None and (external_id is None or customer.external_id is None):
            return customer
    return None


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


def write_profile(
    ws: Workspace, customer: Customer, payload: CustomerPayload, *, fill_only: bool
) -> None:
    """Copy what the payload says onto the customer; ``fill_only`` keeps what is known."""
    sent = payload.model_fields_set
    old_email, old_external_id = customer.email, customer.external_id

    def put(attribute: str, value: Any) -> None:
        if attribute not in sent and value is None:
            return
        if fill_only and getattr(customer, attribute) is not None:
            return
        setattr(customer, attribute, value)

    if payload.email and (not fill_only or customer.email is None):
        customer.email = payload.email
    if payload.id and customer.external_id is None:
        customer.external_id = payload.id
    put("first_name", payload.first_name)
    put("last_name", payload.last_name)
    put("accepts_marketing", payload.accepts_marketing)
    put("created_at", payload.created_at)
    put("updated_at", payload.updated_at)
    if "tags" in sent:
        if payload.append_tags or fill_only:
            customer.tags = customer.tags + [t for t in payload.tags if t not in customer.tags]
        else:
            customer.tags = list(payload.tags)
    extras = payload.model_dump(mode="json", include=set(PROFILE_FIELDS) & sent)
    extras.update(payload.model_extra or {})
    data = dict(customer.data)
    for name, value in extras.items():
        if not fill_only or name not in data:
            data[name] = value
    customer.data = data
    ws.reindex_customer(customer, old_email, old_external_id)


def apply_customer(ws: Workspace, ctx: EventContext, payload: CustomerPayload) -> str:
    """customers/create and customers/update: both upsert."""
    version = payload.updated_at or ctx.event_time
    if deleted_since(ws, ctx.store_id, payload.id, payload.email, version):
        return STALE
    customer = find_customer(ws, ctx.store_id, payload.id, payload.email)
    if customer is None:
        customer = create_customer(ws, ctx.store_id, payload.id, payload.email, version)
    elif customer.version_at > version:
        return STALE
    else:
        ws.touch(customer)
    write_profile(ws, customer, payload, fill_only=False)
    customer.version_at = version
    return APPLIED


def upsert_embedded_customer(
    ws: Workspace,
    ctx: EventContext,
    embedded: CustomerPayload | None,
    email: str | None,
    version: datetime,
) -> Customer | None:
    """The buyer of an order or cart: created when unknown, otherwise only gaps are filled."""
    external_id = embedded.id if embedded else None
    email = (embedded.email if embedded and embedded.email else None) or email
    if not external_id and not email:
        return None
    if deleted_since(ws, ctx.store_id, external_id, email, version):
        return None
    customer = find_customer(ws, ctx.store_id, external_id, email)
    if customer is None:
        customer = create_customer(ws, ctx.store_id, external_id, email)
    else:
        ws.touch(customer)
    if embedded is not None:
        write_profile(ws, customer, embedded, fill_only=True)
    return customer


def apply_customer_delete(ws: Workspace, ctx: EventContext, payload: CustomerDeletePayload) -> str:
    """Erase the person; a tombstone keeps older events from bringing them back."""
    version = ctx.event_time
    customer = find_customer(ws, ctx.store_id, payload.id, payload.email)
    if customer is not None and customer.version_at > version:
        return STALE
    keys = tombstone_keys(payload.id, payload.email)
    if customer is not None:
        keys += tombstone_keys(customer.external_id, customer.email)
    for key in set(keys):
        previous = ws.marker(ctx.store_id, DELETED, key)
        if previous is None or previous < version:
            ws.set_marker(ctx.store_id, DELETED, key, version)
    if customer is not None:
        ws.remove_customer(customer)
        ws.erasures.append((ctx.store_id, customer.uid, customer.email))
    return APPLIED
