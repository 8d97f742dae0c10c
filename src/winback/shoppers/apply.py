"""Apply customer events: identity by id then email, versions, erasure with a tombstone."""

from __future__ import annotations

import hashlib
from datetime import datetime

from winback.apply.context import APPLIED, IMPLIED_VERSION, STALE, EventContext, new_uid
from winback.shoppers.model import Customer
from winback.shoppers.payloads import CustomerDeletePayload, CustomerPayload
from winback.shoppers.profile import EXPLICIT, IMPLIED, SEEN, forget_until, set_field
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
    ws: Workspace, customer: Customer, payload: CustomerPayload, *, priority: str, at: datetime
) -> None:
    """Write every field the payload sent, each as a last-writer-wins register."""
    sent = payload.model_fields_set
    old_email, old_external_id = customer.email, customer.external_id
    if payload.id and customer.external_id is None:
        customer.external_id = payload.id
    values = payload.model_dump(mode="json", include=set(PROFILE_FIELDS) & sent)
    values.update(payload.model_extra or {})
    for name in (
        "email",
        "first_name",
        "last_name",
        "accepts_marketing",
        "created_at",
        "updated_at",
    ):
        if name in sent and (getattr(payload, name) is not None or name == "accepts_marketing"):
            values[name] = getattr(payload, name)
    if "tags" in sent:
        values["tags"] = list(payload.tags)
    if payload.append_tags and "tags" in values:
        values["tags"] = customer.tags + [t for t in values["tags"] if t not in customer.tags]
    for name, value in values.items():
        set_field(customer, name, value, priority, at)
    ws.reindex_customer(customer, old_email, old_external_id)


def set_implied_email(ws: Workspace, customer: Customer, email: str, at: datetime) -> None:
    old_email = customer.email
    set_field(customer, "email", email, IMPLIED, at)
    ws.reindex_customer(customer, old_email, customer.external_id)


def apply_customer(ws: Workspace, ctx: EventContext, payload: CustomerPayload) -> str:
    """customers/create and customers/update: both upsert."""
    version = payload.updated_at or ctx.event_time
    if deleted_since(ws, ctx.store_id, payload.id, payload.email, version):
        return STALE
    customer = find_customer(ws, ctx.store_id, payload.id, payload.email)
    if customer is None:
        customer = create_customer(ws, ctx.store_id, payload.id, payload.email, version)
    else:
        ws.touch(customer)
    # An older update still fills fields no newer write has set; it is logged as stale.
    write_profile(ws, customer, payload, priority=EXPLICIT, at=version)
    if customer.version_at > version:
        return STALE
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
        customer = create_customer(ws, ctx.store_id, external_id, None)
    else:
        ws.touch(customer)
    set_field(customer, SEEN, True, IMPLIED, version)
    if embedded is not None:
        write_profile(ws, customer, embedded, priority=IMPLIED, at=version)
    if email and (embedded is None or embedded.email is None):
        set_implied_email(ws, customer, email, version)
    return customer


def apply_customer_delete(ws: Workspace, ctx: EventContext, payload: CustomerDeletePayload) -> str:
    """Erase what is known of the person up to the deletion; a tombstone keeps it erased.

    Facts that are newer than the deletion (an order placed after it, delivered
    first) survive it, so the outcome does not depend on delivery order.
    """
    version = ctx.event_time
    customer = find_customer(ws, ctx.store_id, payload.id, payload.email)
    keys = tombstone_keys(payload.id, payload.email)
    if customer is not None:
        keys += tombstone_keys(customer.external_id, customer.email)
    for key in set(keys):
        previous = ws.marker(ctx.store_id, DELETED, key)
        if previous is None or previous < version:
            ws.set_marker(ctx.store_id, DELETED, key, version)
    if customer is None:
        return APPLIED
    ws.erasures.append((ctx.store_id, customer.uid, customer.email, version))
    old_email, old_external_id = customer.email, customer.external_id
    if forget_until(customer, version):
        if customer.version_at <= version:
            customer.version_at = IMPLIED_VERSION
        ws.reindex_customer(customer, old_email, old_external_id)
        ws.touch(customer)
        ws.aggregates_due.add((ctx.store_id, customer.uid))
    else:
        ws.remove_customer(customer)
    return APPLIED
