"""Profile fields as last-writer-wins registers, so any delivery order gives one result.

Each field has two registers: what the store said in a customer event
(explicit), and what an order, cart or form said about the buyer (implied); the
marketing flag has a third, what a newsletter event said (signed). A register
keeps the newest write by (time, value digest); the digest breaks ties
deterministically. The field's value is the newer of the explicit and signed
registers if there is one, else the implied one. Erasure drops every register
written up to the deletion time, so what happened after a deletion survives it
whichever arrives first.

Purchases are kept apart from the registers, in a compact form of the same rule:
a regular buyer has one per order, and the whole record is read and written
again with each of their orders.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import orjson

from winback.fields import MAX_ID_LENGTH
from winback.shoppers.model import Customer

EXPLICIT = "explicit"
IMPLIED = "implied"
# The flag a newsletter event gave (an unsubscribe's false, a subscribe's true): as
# explicit as the store's own, the newer of the two is shown; kept apart so that
# one found not to be the shopper's (an unsubscribe of an address they had left) is
# taken back to what the store said before, not to nothing.
SIGNED = "signed"
_STATED = (EXPLICIT, SIGNED)
# Every write into a signed register, not only the newest: when one is taken back,
# the one before it shows again, whatever order they arrived in.
SIGNED_WRITES = "_signed"
REGISTERS_KEY = "_registers"
# Written whenever an event mentions the customer, so that a mention newer than
# an erasure keeps the customer in existence.
SEEN = "_seen"
# When the store's id was last used for the customer.
ID_SEEN = "_id"
# Every order that named the customer as its buyer: order id -> [its version, when
# it was placed], in microseconds since the epoch. The newest version wins, and
# erasure and merges treat each like a register, so a cart can tell it was bought
# even if the order arrived first, has gone, or has since passed to another shopper.
PURCHASES = "_purchases"
# Tags sent with ``append_tags``: tag -> [first, place, last, place]: when it was
# first and last appended, in microseconds, each with its place among the tags then
# sent. A tag is shown after the tags register's own if last appended at or after
# that register's write, so a later replacement of the tags drops it whichever of
# the two arrives first; in the order of its first append after that write (its
# last one stands in when the first was before it: the ones between are not kept).
APPENDED_TAGS = "_appended_tags"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COLUMN_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "accepts_marketing",
    "created_at",
    "updated_at",
    "tags",
)
# Profile fields that name the customer when an event gives neither id nor email
# (a point-of-sale id, a phone number), each copied to the customer's attribute
# (an indexed column) whenever the field is shown: set, merged or erased alike.
LOOKUP_FIELDS = {"pos_id": "pos_id", "sms_phone_number_e164": "sms_phone_number"}

Stamp = list[str]


def make_stamp(at: datetime, value: Any, digest: str | None = None) -> Stamp:
    """A write's stamp: its time, then the digest that settles a tie between two writes
    of one time the same way whichever arrives first (of ``value`` unless given)."""
    return [stamp_time(at), digest or _digest(orjson.dumps(value, default=str))]


def version_digest(fields: dict[str, Any]) -> str:
    """What settles a tie for every field of one version at once (``set_field``'s
    ``tie``): the fields as sent, whatever order their keys came in."""
    return _digest(orjson.dumps(fields, default=str, option=orjson.OPT_SORT_KEYS))


def _digest(text: bytes) -> str:
    return hashlib.sha1(text, usedforsecurity=False).hexdigest()[:12]


def stamp_time(at: datetime) -> str:
    """A version as stamps hold it. Cached: one event's version stamps each of its
    fields and lines, and formatting it cost more than looking it up. (Keyed by its
    zone too: times in two zones can be equal and still read differently.)"""
    return _iso_time(at, at.tzinfo)


@functools.lru_cache(maxsize=1024)
def _iso_time(at: datetime, zone: tzinfo | None) -> str:
    return at.isoformat()


def _registers(customer: Customer) -> dict[str, dict[str, Any]]:
    registers = customer.data.get(REGISTERS_KEY)
    if registers is None:
        registers = customer.data[REGISTERS_KEY] = {}
    return registers


def _shown_slot(register: dict[str, Any]) -> list[Any] | None:
    """The write a field shows: the newest of what was stated, else what was implied."""
    stated = [register[kind] for kind in _STATED if kind in register]
    return max(stated, key=lambda slot: slot[1]) if stated else register.get(IMPLIED)


def _show(customer: Customer, name: str, register: dict[str, Any]) -> None:
    slot = _shown_slot(register)
    value = slot[0] if slot else None
    if name in COLUMN_FIELDS:
        if name in ("created_at", "updated_at") and isinstance(value, str):
            value = datetime.fromisoformat(value)
        if name == "tags":
            value = _tags_shown(customer, slot)
        setattr(customer, name, value)
    elif slot:
        customer.data[name] = value
    else:
        customer.data.pop(name, None)
    if name in LOOKUP_FIELDS:
        setattr(customer, LOOKUP_FIELDS[name], lookup_value(value))


def _tags_shown(customer: Customer, slot: list[Any] | None) -> list[str]:
    written = slot[0] if slot else None
    tags: list[str] = list(written) if written else []
    since = _micros(datetime.fromisoformat(slot[1][0])) if slot else -1
    shown = []
    for tag, (first, first_place, last, last_place) in customer.data.get(APPENDED_TAGS, {}).items():
        if last >= since and tag not in tags:
            shown.append(((first, first_place) if first >= since else (last, last_place), tag))
    return tags + [tag for _, tag in sorted(shown)]


def append_tags(customer: Customer, tags: list[str], at: datetime) -> None:
    """Add ``tags`` to the customer's, as of ``at`` (see ``APPENDED_TAGS``)."""
    micros = _micros(at)
    appended: dict[str, list[int]] = customer.data.setdefault(APPENDED_TAGS, {})
    for place, tag in enumerate(tags):
        _keep_append(appended, tag, [micros, place, micros, place])
    _show(customer, "tags", _registers(customer).get("tags", {}))


def _keep_append(appended: dict[str, list[int]], tag: str, seen: list[int]) -> None:
    """Fold ``seen`` (first and last append of ``tag``) into what is kept of it."""
    kept = appended.get(tag)
    if kept is None:
        appended[tag] = seen
        return
    appended[tag] = [*min(kept[:2], seen[:2]), *max(kept[2:], seen[2:])]


def lookup_value(value: Any) -> str | None:
    """A field's value as it is looked up; one that could name no one (not a string,
    longer than an id may be) is not kept in the index at all."""
    if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH:
        return value
    return None


def set_field(
    customer: Customer, name: str, value: Any, kind: str, at: datetime, tie: str | None = None
) -> bool:
    """Write ``value`` into the field's ``kind`` register if it is the newest write there.

    ``tie``: the digest of the version the value is part of (``version_digest``), so that
    of two versions of one time each field keeps the same one, never a mix of both;
    without it, the value's own."""
    if isinstance(value, datetime):
        value = value.isoformat()
    if kind == SIGNED:
        return _sign(customer, name, [value, make_stamp(at, value, tie)])
    register = _registers(customer).setdefault(name, {})
    current = register.get(kind)
    # A register written later wins whatever the digests: an older write is turned
    # away before its digest is taken (a history import brings many of them).
    if current is not None and current[1][0] > stamp_time(at):
        return False
    stamp = make_stamp(at, value, tie)
    if current is not None and current[1] > stamp:
        return False
    register[kind] = [value, stamp]
    _show(customer, name, register)
    return True


def unset_field(customer: Customer, name: str, value: Any, kind: str, at: datetime) -> None:
    """Take back the write of ``value`` into the field's ``kind`` register as of ``at``,
    if it is still the one kept there (a write that turned out not to be the
    customer's)."""
    if kind == SIGNED:
        writes = customer.data.get(SIGNED_WRITES, {}).get(name, [])
        if [value, make_stamp(at, value)] in writes:
            writes.remove([value, make_stamp(at, value)])
            _show_signed(customer, name)
        return
    register = _registers(customer).get(name, {})
    current = register.get(kind)
    if current is None or current != [value, make_stamp(at, value)]:
        return
    del register[kind]
    _show(customer, name, register)
    if not register:
        del _registers(customer)[name]


def _signed_writes(customer: Customer, name: str) -> list[list[Any]]:
    writes: list[list[Any]] = customer.data.setdefault(SIGNED_WRITES, {}).setdefault(name, [])
    return writes


def _sign(customer: Customer, name: str, write: list[Any]) -> bool:
    """Keep ``write`` among the field's signed writes; True if it is the newest."""
    writes = _signed_writes(customer, name)
    if write not in writes:
        writes.append(write)
        writes.sort(key=lambda kept: kept[1])
    _show_signed(customer, name)
    return writes[-1] == write


def _show_signed(customer: Customer, name: str) -> None:
    """The signed register is the newest signed write kept (none: no register)."""
    writes = _signed_writes(customer, name)
    register = _registers(customer).setdefault(name, {})
    if writes:
        register[SIGNED] = list(writes[-1])
    else:
        register.pop(SIGNED, None)
        del customer.data[SIGNED_WRITES][name]
        if not customer.data[SIGNED_WRITES]:
            del customer.data[SIGNED_WRITES]
    _show(customer, name, register)
    if not register:
        del _registers(customer)[name]


def merge_registers(source: Customer, target: Customer) -> None:
    """Write every register of ``source`` into ``target``, each kept only if newer."""
    for name, writes in source.data.get(SIGNED_WRITES, {}).items():
        for write in writes:
            _sign(target, name, list(write))
    for name, register in _registers(source).items():
        for kind, (value, stamp) in register.items():
            if kind == SIGNED:
                continue  # (merged with every signed write, above)
            current = _registers(target).setdefault(name, {}).get(kind)
            if current is None or current[1] < stamp:
                _registers(target)[name][kind] = [value, stamp]
                _show(target, name, _registers(target)[name])
    for order_id, purchase in _purchases(source).items():
        _keep_newer_purchase(target, order_id, purchase)
    for tag, seen in source.data.get(APPENDED_TAGS, {}).items():
        _keep_append(target.data.setdefault(APPENDED_TAGS, {}), tag, seen)
    _show(target, "tags", _registers(target).get("tags", {}))


def written_at(customer: Customer, name: str) -> datetime | None:
    """When the field's shown value was last written (None if it has none)."""
    slot = _shown_slot(_registers(customer).get(name) or {})
    return datetime.fromisoformat(slot[1][0]) if slot else None


def has_field(customer: Customer, name: str) -> bool:
    return bool(_registers(customer).get(name))


def forget_until(customer: Customer, at: datetime) -> bool:
    """Drop every write made at or before ``at``; True if a newer one remains."""
    purchases = _forget_purchases_until(customer, _micros(at))
    appended = _forget_appended_tags_until(customer, _micros(at))
    cutoff = at.isoformat()
    for name, writes in list(customer.data.get(SIGNED_WRITES, {}).items()):
        writes[:] = [write for write in writes if write[1][0] > cutoff]
        _show_signed(customer, name)
    registers = _registers(customer)
    for name in list(registers):
        register = {kind: slot for kind, slot in registers[name].items() if slot[1][0] > cutoff}
        registers[name] = register
        _show(customer, name, register)
        if not register:
            del registers[name]
    for name in COLUMN_FIELDS:
        if name not in registers:
            setattr(customer, name, _tags_shown(customer, None) if name == "tags" else None)
    return bool(registers) or bool(purchases) or bool(appended)


def _forget_appended_tags_until(customer: Customer, micros: int) -> dict[str, list[int]]:
    kept = {
        # (an append erased while a later one is kept: the later one is the first now)
        tag: seen if seen[0] > micros else seen[2:] * 2
        for tag, seen in customer.data.get(APPENDED_TAGS, {}).items()
        if seen[2] > micros
    }
    if kept:
        customer.data[APPENDED_TAGS] = kept
    else:
        customer.data.pop(APPENDED_TAGS, None)
    return kept


def record_purchase(customer: Customer, order_id: str, placed_at: datetime, at: datetime) -> None:
    """The customer bought ``order_id``, as of the order's version ``at``."""
    _keep_newer_purchase(customer, order_id, [_micros(at), _micros(placed_at)])


def bought_since(customer: Customer, at: datetime) -> bool:
    """Whether an order naming the customer was placed at or after ``at``."""
    cutoff = _micros(at)
    return any(placed >= cutoff for _, placed in _purchases(customer).values())


def written_until(customer: Customer, at: datetime) -> bool:
    """Whether any register or purchase was written at or before ``at``."""
    micros = _micros(at)
    if any(written <= micros for written, _ in _purchases(customer).values()):
        return True
    if any(at[0] <= micros for at in customer.data.get(APPENDED_TAGS, {}).values()):
        return True
    cutoff = at.isoformat()
    return any(
        slot[1][0] <= cutoff
        for register in _registers(customer).values()
        for slot in register.values()
    )


def written_since(customer: Customer, at: datetime) -> bool:
    """Whether any register or purchase was written at or after ``at``."""
    micros = _micros(at)
    if any(written >= micros for written, _ in _purchases(customer).values()):
        return True
    if any(seen[2] >= micros for seen in customer.data.get(APPENDED_TAGS, {}).values()):
        return True
    cutoff = at.isoformat()
    return any(
        slot[1][0] >= cutoff
        for register in _registers(customer).values()
        for slot in register.values()
    )


def last_placed(customer: Customer) -> datetime | None:
    """When the customer's newest order was placed (None before their first)."""
    newest = max((placed for _, placed in _purchases(customer).values()), default=None)
    return None if newest is None else _EPOCH + timedelta(microseconds=newest)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _purchases(customer: Customer) -> dict[str, list[int]]:
    purchases: dict[str, list[int]] = customer.data.get(PURCHASES, {})
    return purchases


def _keep_newer_purchase(customer: Customer, order_id: str, purchase: list[int]) -> None:
    # [version, placed] compared as a pair: a newer version wins, and between two
    # writes of one version the later placing does, whatever order they came in.
    current = _purchases(customer).get(order_id)
    if current is None or current < purchase:
        customer.data.setdefault(PURCHASES, {})[order_id] = purchase


def _forget_purchases_until(customer: Customer, micros: int) -> dict[str, list[int]]:
    kept = {key: purchase for key, purchase in _purchases(customer).items() if purchase[0] > micros}
    if kept:
        customer.data[PURCHASES] = kept
    else:
        customer.data.pop(PURCHASES, None)
    return kept


def profile_data(customer: Customer) -> dict[str, Any]:
    """The profile fields kept in ``data``, without the bookkeeping."""
    return {key: value for key, value in customer.data.items() if not key.startswith("_")}
