"""Double opt-in: whether a sign-up waits for its confirmation.

A ``newsletter/subscribe`` that asks for a double opt-in does not wait when the
shopper's consent stands: the store says ``accepts_marketing: true`` of them, and
the address was not unsubscribed when they signed up (a flag the unsubscribe
overruled proves no consent). Both are kept so that the result does not depend on
the order events arrive in: the flag is the shopper's, a register like any field,
and the sign-up that is its address's latest consent change keeps the latest
unsubscribe and other subscribe of the address made before it (``OptIn``). A
change of either, whenever it arrives, decides the wait again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from winback.shoppers.model import CONSENT, PENDING_OPT_IN, UNSUBSCRIBED, Customer, OptIn
from winback.shoppers.profile import set_field
from winback.storage.workspace import Workspace

WAITING = "waiting for the double opt-in confirmation"
# When an address was unsubscribed by following its shopper from another one: no
# consent change of its own says when, so any sign-up of it known later lifts it.
_LONG_AGO = datetime(1, 1, 1, tzinfo=UTC)


def ask(ws: Workspace, store_id: str, email: str, at: datetime) -> bool:
    """Keep the sign-up made at ``at``, the address's newest consent change, with the
    changes known before it; True if it waits for the confirmation."""
    previous = ws.marker(store_id, CONSENT, email)
    unsubscribed = UNSUBSCRIBED in ws.suppression_types(store_id, email)
    request = OptIn(
        store_id,
        email,
        at,
        unsubscribed=(previous or _LONG_AGO) if unsubscribed else None,
        subscribed=None if unsubscribed else previous,
    )
    ws.put_opt_in(request)
    return not _consent_stands(ws, request)


def write_flag(ws: Workspace, customer: Customer, value: bool, kind: str, at: datetime) -> None:
    """Write the shopper's flag into its ``kind`` register, and decide the wait of their
    address's sign-up again."""
    set_field(customer, "accepts_marketing", value, kind, at)
    if customer.email is not None:
        settle(ws, customer.store_id, customer.email)


def settle(ws: Workspace, store_id: str, email: str) -> None:
    """Make the wait of the address's sign-up follow the flag of whoever has the address
    now (none, once they are erased)."""
    request = _in_force(ws, store_id, email)
    if request is not None:
        _decide(ws, request)


def note_change(
    ws: Workspace, store_id: str, email: str, at: datetime, *, unsubscribe: bool
) -> None:
    """A consent change of the address made at ``at``, older than its latest: if the
    latest is a sign-up, and knew of no newer change of this kind, its wait is
    decided again."""
    request = _in_force(ws, store_id, email)
    if request is None or at >= request.asked_at:
        return
    known = request.unsubscribed if unsubscribe else request.subscribed
    if known is not None and known >= at:
        return
    if unsubscribe:
        request.unsubscribed = at
    else:
        request.subscribed = at
    ws.put_opt_in(request)
    _decide(ws, request)


def _consent_stands(ws: Workspace, request: OptIn) -> bool:
    unsubscribed = request.unsubscribed is not None and (
        request.subscribed is None or request.subscribed < request.unsubscribed
    )
    if unsubscribed:
        return False
    holder = ws.customer_by_email(request.store_id, request.email)
    return holder is not None and holder.accepts_marketing is True


def _in_force(ws: Workspace, store_id: str, email: str) -> OptIn | None:
    """The address's sign-up that asked for a double opt-in, while it is the latest
    consent change of the address (a later one decides instead)."""
    last_change = ws.marker(store_id, CONSENT, email)
    if last_change is None:
        return None
    request = ws.opt_in(store_id, email)
    return request if request is not None and request.asked_at == last_change else None


def _decide(ws: Workspace, request: OptIn) -> None:
    store_id, email = request.store_id, request.email
    if _consent_stands(ws, request):
        ws.remove_suppression(store_id, email, PENDING_OPT_IN)
    else:
        ws.add_suppression(store_id, email, PENDING_OPT_IN, request.asked_at, WAITING)
