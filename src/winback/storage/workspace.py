"""The unit of work of one apply batch: entities read once, changed in memory, written once.

Apply functions look entities up here and change them as plain objects; the
workspace remembers what is new, changed or removed, and ``flush`` writes it
all with a few bulk statements inside the batch's transaction. Look-ups that
were not preloaded fall back to a query, so preloading is only a speed-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, type_coerce

from winback.carts.model import CONVERTED, OPEN, Cart
from winback.catalog.model import Product
from winback.orders.model import Order
from winback.shoppers.model import Customer, OptIn
from winback.storage.coupons import CouponUse
from winback.storage.optins import read_opt_in
from winback.storage.rows import from_row, row_reader
from winback.storage.schema import (
    UTCDateTime,
    carts,
    customers,
    former_emails,
    markers,
    orders,
    products,
    suppressions,
)
from winback.storage.visitors import load_visitors
from winback.tracking.model import Visitor, VisitorClaim

Key = tuple[str, str]  # (store_id, value)
# Columns a customer is found by when an event names it by neither id nor email.
POS_ID = "pos_id"
PHONE = "sms_phone_number"


# (store, address, customer uid, when the customer left it)
FormerKey = tuple[str, str, str, datetime]


class Workspace:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.customers: dict[str, Customer] = {}
        self._customer_by_ext: dict[Key, str | None] = {}
        self._customer_by_email: dict[Key, str | None] = {}
        # Emails whose stored customers have all been read (the index above also
        # holds emails that only customers of this batch have).
        self._emails_loaded: set[Key] = set()
        # Held customers that were registered without an id: only they can be a
        # contact known by email alone. An id is taken away only by an erasure, which
        # registers the customer again, so every id-less customer held is here.
        self._idless: dict[str, Customer] = {}
        # (store, POS_ID or PHONE, value) -> uid. Both are profile registers that change
        # without a re-index (a merge, an erasure), so a hit is checked against the
        # customer's current value; ``_secondary_loaded`` says which were queried.
        self._customer_by_secondary: dict[tuple[str, str, str], str | None] = {}
        self._secondary_loaded: set[tuple[str, str, str]] = set()
        self.orders: dict[Key, Order | None] = {}
        self.products: dict[Key, Product | None] = {}
        self._product_by_sku: dict[Key, str | None] = {}
        self.carts: dict[Key, Cart | None] = {}
        self.suppressions: dict[Key, set[str]] = {}
        self.markers: dict[tuple[str, str, str], datetime | None] = {}
        self.new: set[int] = set()
        self.dirty: set[int] = set()
        # Dirty entities of which only some columns changed (see touch_columns).
        self._changed_only: dict[int, frozenset[str]] = {}
        self.removed: list[Any] = []
        self._removed_uids: set[str] = set()
        self._last_order_at: dict[Key, datetime | None] = {}
        self.suppressions_added: dict[tuple[str, str, str], tuple[datetime, str | None]] = {}
        self.suppressions_removed: set[tuple[str, str, str]] = set()
        self.markers_changed: set[tuple[str, str, str]] = set()
        self.opt_ins: dict[Key, OptIn | None] = {}
        self.opt_ins_changed: set[Key] = set()
        self.aggregates_due: set[Key] = set()
        self.carts_to_convert: list[tuple[str, str, datetime]] = []
        self.activities: list[dict[str, Any]] = []
        self.erasures: list[tuple[str, str, str | None, datetime]] = []
        # Whom the batch erased (store, an id or an email of theirs), and the logged
        # bodies and reasons to write instead (seq -> both): see apply/redact.py
        self.erased_names: list[tuple[str, str | None, str | None]] = []
        self.redacted_bodies: dict[int, tuple[bytes, str | None]] = {}
        self.coupons_used: list[CouponUse] = []
        self.visitors: dict[Key, Visitor | None] = {}
        self.visitor_claims: list[VisitorClaim] = []
        # Each time a customer left an address, (store, address, customer uid, when) ->
        # since when they had it: what was read, and what this batch added or erased
        self._former: dict[FormerKey, datetime] = {}
        self._former_read: set[tuple[str, str, str]] = set()
        self.former_emails_added: list[FormerKey] = []
        self.former_emails_erased: list[tuple[str, str, str, datetime]] = []
        # Addresses erased (store, email, as of): orders that gave them lose them
        self.addresses_erased: list[tuple[str, str, datetime]] = []
        # Stored addresses' stays found to have ended earlier: rows to delete
        self.former_emails_cut: list[FormerKey] = []
        # (store, merged customer uid, the uid it became), applied to stored rows at flush
        self.merges: list[tuple[str, str, str]] = []
        # For each merge, how many of ``erasures`` came before it: the flush erases
        # stored rows before a merge moves them only if the erasure came first.
        self.erasures_before_merge: list[int] = []

    # -- change tracking ---------------------------------------------------------------

    def add(self, entity: Any) -> None:
        self.new.add(id(entity))
        self._register(entity)

    def hold(self, entity: Any) -> None:
        """Hold an entity known to be exactly as stored, as if it had been read."""
        self._register(entity)

    def touch(self, entity: Any) -> None:
        if id(entity) not in self.new:
            self.dirty.add(id(entity))
            self._changed_only.pop(id(entity), None)

    def touch_columns(self, entity: Any, *columns: str) -> None:
        """A stored entity of which only ``columns`` changed: only they are written
        (unless it is touched whole as well). Not for customers, whose row also takes
        their order figures."""
        key = id(entity)
        if key not in self.new and key not in self.dirty:
            self._changed_only[key] = self._changed_only.get(key, frozenset()) | set(columns)

    def untouch(self, entity: Any) -> None:
        """A stored entity touched by this event, which turned out to leave it exactly
        as it was, and which nothing else in the batch had changed: not written."""
        self._untrack(entity)

    def is_new(self, entity: Any) -> bool:
        return id(entity) in self.new

    def is_dirty(self, entity: Any) -> bool:
        return id(entity) in self.dirty or id(entity) in self._changed_only

    def changed_columns(self, entity: Any) -> frozenset[str] | None:
        """The columns to write of a dirty entity; None for all of them."""
        return self._changed_only.get(id(entity))

    def _untrack(self, entity: Any) -> None:
        self.dirty.discard(id(entity))
        self._changed_only.pop(id(entity), None)

    def _register(self, entity: Any) -> None:
        if isinstance(entity, Customer):
            self.customers[entity.uid] = entity
            if entity.external_id is not None:
                self._customer_by_ext[(entity.store_id, entity.external_id)] = entity.uid
            else:
                self._idless[entity.uid] = entity
            self._offer_email(entity)
            self._claim_secondary(entity)
        elif isinstance(entity, Order):
            self.orders[(entity.store_id, entity.external_id)] = entity
        elif isinstance(entity, Product):
            self.products[(entity.store_id, entity.external_id)] = entity
            if entity.sku:
                self._product_by_sku.setdefault((entity.store_id, entity.sku), entity.external_id)
        elif isinstance(entity, Cart):
            self.carts[(entity.store_id, entity.external_id)] = entity
        elif isinstance(entity, Visitor):
            self.visitors[(entity.store_id, entity.visitor_id)] = entity

    def reindex_customer(
        self, customer: Customer, old_email: str | None, old_external_id: str | None
    ) -> None:
        """Keep look-ups right after a customer's email or id changed."""
        if (
            old_email
            and self._customer_by_email.get((customer.store_id, old_email)) == customer.uid
        ):
            self._rechoose_holder(customer.store_id, old_email)
        if old_external_id and old_external_id != customer.external_id:
            self._customer_by_ext[(customer.store_id, old_external_id)] = None
        self._register(customer)

    def remove_customer(self, customer: Customer) -> None:
        self.customers.pop(customer.uid, None)
        self._idless.pop(customer.uid, None)
        self._removed_uids.add(customer.uid)
        self._customer_by_ext[(customer.store_id, customer.external_id or "")] = None
        if customer.email:
            self._rechoose_holder(customer.store_id, customer.email)
        if id(customer) in self.new:
            self.new.discard(id(customer))
        else:
            self.removed.append(customer)
        self._untrack(customer)

    def merge_customer(self, source: Customer, target: Customer) -> None:
        """``source`` becomes ``target``: what this batch holds of it now, the stored
        rows at flush; then ``source`` is removed and its email points at ``target``."""
        for held in [*self.orders.values(), *self.carts.values(), *self.visitors.values()]:
            if held is not None and held.customer_uid == source.uid:
                held.customer_uid = target.uid
                self.touch(held)
        for activity in self.activities:
            if activity.get("customer_uid") == source.uid:
                activity["customer_uid"] = target.uid
        self.merges.append((source.store_id, source.uid, target.uid))
        self.erasures_before_merge.append(len(self.erasures))
        self.aggregates_due.add((target.store_id, target.uid))
        self.remove_customer(source)
        self.touch(target)
        self._register(target)

    def remove_order(self, order: Order) -> None:
        self.orders[(order.store_id, order.external_id)] = None
        self._forget(order)

    def remove_cart(self, cart: Cart) -> None:
        self.carts[(cart.store_id, cart.external_id)] = None
        self._forget(cart)

    def _forget(self, entity: Any) -> None:
        if id(entity) in self.new:
            self.new.discard(id(entity))
        else:
            self.removed.append(entity)
        self._untrack(entity)

    # -- customers ---------------------------------------------------------------------

    def _adopt_customer(self, row: Any) -> Customer:
        known = self.customers.get(row.uid)
        if known is not None:
            return known
        customer = _read_customer(row)
        self._register(customer)
        return customer

    def customer_by_external_id(self, store_id: str, external_id: str) -> Customer | None:
        key = (store_id, external_id)
        if key not in self._customer_by_ext:
            self._load_customers(store_id, external_ids=[external_id])
        uid = self._customer_by_ext.get(key)
        return self.customers.get(uid) if uid else None

    def customer_by_pos_id(self, store_id: str, pos_id: str) -> Customer | None:
        return self._customer_by_secondary_key(store_id, POS_ID, pos_id)

    def customer_by_phone(self, store_id: str, phone: str) -> Customer | None:
        return self._customer_by_secondary_key(store_id, PHONE, phone)

    def _customer_by_secondary_key(self, store_id: str, column: str, value: str) -> Customer | None:
        key = (store_id, column, value)
        if key not in self._secondary_loaded:
            self._load_by_secondary(store_id, column, [value])
        uid = self._customer_by_secondary.get(key)
        if uid is None:
            return None
        holder = self.customers.get(uid)
        if holder is not None and getattr(holder, column) == value:
            return holder
        # The customer it pointed at has since lost the value or gone: the first other.
        others = [
            c
            for c in self.customers.values()
            if c.store_id == store_id and getattr(c, column) == value
        ]
        return min(others, key=naming_order, default=None)

    def _claim_secondary(self, customer: Customer) -> None:
        """Index the customer's pos_id and phone, unless a customer that still has
        them and comes first (as for an address: see ``_offer_email``) is indexed
        there already."""
        for column in (POS_ID, PHONE):
            value = getattr(customer, column)
            if value is None:
                continue
            key = (customer.store_id, column, value)
            holder = self.customers.get(self._customer_by_secondary.get(key) or "")
            if (
                holder is None
                or getattr(holder, column) != value
                or holder.uid in self._removed_uids
                or naming_order(customer) < naming_order(holder)
            ):
                self._customer_by_secondary[key] = customer.uid

    def _load_by_secondary(self, store_id: str, column: str, values: Iterable[str]) -> None:
        keys = {(store_id, column, value) for value in values} - self._secondary_loaded
        self._secondary_loaded.update(keys)
        for chunk in _chunks([value for _, _, value in keys]):
            rows = self.conn.execute(
                select(customers).where(
                    customers.c.store_id == store_id, customers.c[column].in_(chunk)
                )
            )
            for row in rows:
                held = self.customers.get(row.uid)
                if held is not None:
                    self._claim_secondary(held)
                elif row.uid not in self._removed_uids:
                    self._adopt_customer(row)

    def customer_by_email(self, store_id: str, email: str) -> Customer | None:
        key = (store_id, email)
        if key not in self._emails_loaded:
            self._load_customers(store_id, emails=[email])
        uid = self._customer_by_email.get(key)
        return self.customers.get(uid) if uid else None

    def contacts_with_email(self, store_id: str, email: str) -> list[Customer]:
        """The customers of the store known only by this email (no id), stored or made
        in this batch."""
        if (store_id, email) not in self._emails_loaded:
            self._load_customers(store_id, emails=[email])
        # Emails change in many places (every profile register), so they are not
        # indexed here: the scan is over the few customers without an id.
        return [
            c
            for c in self._idless.values()
            if c.external_id is None and c.store_id == store_id and c.email == email
        ]

    def _load_customers(
        self, store_id: str, *, external_ids: Iterable[str] = (), emails: Iterable[str] = ()
    ) -> None:
        ext = [
            value for value in set(external_ids) if (store_id, value) not in self._customer_by_ext
        ]
        mails = [value for value in set(emails) if (store_id, value) not in self._emails_loaded]
        self._emails_loaded.update((store_id, value) for value in mails)
        for chunk in _chunks(ext):
            rows = self.conn.execute(
                select(customers).where(
                    customers.c.store_id == store_id, customers.c.external_id.in_(chunk)
                )
            )
            for row in rows:
                self._adopt_customer(row)
        for chunk in _chunks(mails):
            # Keys first: the customers found by id above are most of these, and a
            # full row costs its JSON columns' decoding even when it is then dropped.
            found = self.conn.execute(
                select(customers.c.uid, customers.c.email)
                .where(customers.c.store_id == store_id, customers.c.email.in_(chunk))
                .order_by(customers.c.external_id.is_(None), customers.c.uid)
            ).all()
            unheld = self._customer_rows([uid for uid, _ in found if uid not in self.customers])
            for uid, _ in found:
                if uid in self._removed_uids:
                    continue
                held = self.customers.get(uid)
                if held is None:
                    self._adopt_customer(unheld[uid])
                else:
                    self._offer_email(held)
        for value in ext:
            self._customer_by_ext.setdefault((store_id, value), None)
        for value in mails:
            self._customer_by_email.setdefault((store_id, value), None)

    def _offer_email(self, customer: Customer) -> None:
        """Make ``customer`` the one its email names, if it comes first among the
        records holding that address: with an id before without, then by id. Which
        record an address names must not depend on the order records were read in,
        nor on their random uids, or a replay could give a sign-up to another one."""
        if customer.email is None:
            return
        key = (customer.store_id, customer.email)
        holder = self.customers.get(self._customer_by_email.get(key) or "")
        if (
            holder is None
            or holder.email != customer.email
            or holder.uid in self._removed_uids
            or naming_order(customer) < naming_order(holder)
        ):
            self._customer_by_email[key] = customer.uid

    def _rechoose_holder(self, store_id: str, email: str) -> None:
        """The record ``email`` names after its holder left it or went: the first of
        the others held here (all are, once the address was looked up)."""
        self._customer_by_email[(store_id, email)] = None
        for customer in self.customers.values():
            if customer.store_id == store_id and customer.email == email:
                self._offer_email(customer)

    def _customer_rows(self, uids: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for chunk in _chunks(uids):
            for row in self.conn.execute(select(customers).where(customers.c.uid.in_(chunk))):
                found[row.uid] = row
        return found

    # -- the addresses customers had ---------------------------------------------------

    def left_email(
        self, customer: Customer, email: str, since: datetime | None, until: datetime
    ) -> None:
        """``customer`` had ``email`` (last written ``since``) and left it ``until``."""
        self._read_former(customer.store_id, "email", [email])
        key = (customer.store_id, email, customer.uid, until)
        if key not in self._former:
            self._former[key] = min(since or until, until)
            self.former_emails_added.append(key)

    def cut_former_email(
        self, customer: Customer, email: str, until: datetime, at: datetime
    ) -> None:
        """``customer`` left ``email`` at ``at``, not at ``until`` as was known."""
        old = (customer.store_id, email, customer.uid, until)
        since = self._former.pop(old, None)
        if since is None:
            return
        if old in self.former_emails_added:
            self.former_emails_added.remove(old)
        else:
            self.former_emails_cut.append(old)
        new = (customer.store_id, email, customer.uid, at)
        self._former[new] = min(since, at)
        self.former_emails_added.append(new)

    def preload_former_emails(self, store_id: str, emails: Iterable[str]) -> None:
        self._read_former(store_id, "email", emails)

    def former_owners(self, store_id: str, email: str) -> list[tuple[Customer, datetime]]:
        """Each time a customer left ``email``: the customer, and when."""
        self._read_former(store_id, "email", [email])
        found = [
            (uid, until)
            for (store, address, uid, until) in self._former
            if store == store_id and address == email and uid not in self._removed_uids
        ]
        rows = self._customer_rows([uid for uid, _ in found if uid not in self.customers])
        return [
            (self.customers.get(uid) or self._adopt_customer(rows[uid]), until)
            for uid, until in found
            if uid in self.customers or uid in rows
        ]

    def former_emails_of(self, customer: Customer) -> list[tuple[str, datetime, datetime]]:
        """Each time ``customer`` left an address: the address, since when they had
        it, and when they left it."""
        self._read_former(customer.store_id, "customer_uid", [customer.uid])
        return [
            (address, since, until)
            for (store, address, uid, until), since in self._former.items()
            if store == customer.store_id and uid == customer.uid
        ]

    def former_email_rows(self) -> list[dict[str, Any]]:
        """The rows this batch adds (less those an erasure in it took back)."""
        return [
            {"store_id": s, "email": e, "customer_uid": u, "until": t, "since": self._former[key]}
            for key in dict.fromkeys(self.former_emails_added)
            if key in self._former
            for s, e, u, t in [key]
        ]

    def erase_former_emails(self, store_id: str, column: str, value: str, at: datetime) -> set[str]:
        """Forget the addresses had at or before ``at`` by a customer (``column``
        ``customer_uid``) or of an address (``email``), here and at flush; returns
        the addresses forgotten."""
        self._read_former(store_id, column, [value])
        index = 2 if column == "customer_uid" else 1
        forgotten: set[str] = set()
        for key, since in list(self._former.items()):
            if key[0] == store_id and key[index] == value and since <= at:
                forgotten.add(key[1])
                del self._former[key]
        self.former_emails_erased.append((store_id, column, value, at))
        return forgotten

    def _read_former(self, store_id: str, column: str, values: Iterable[str]) -> None:
        wanted = [v for v in set(values) if (store_id, column, v) not in self._former_read]
        self._former_read.update((store_id, column, value) for value in wanted)
        for chunk in _chunks(wanted):
            rows = self.conn.execute(
                select(former_emails).where(
                    former_emails.c.store_id == store_id, former_emails.c[column].in_(chunk)
                )
            )
            for row in rows:
                key = (row.store_id, row.email, row.customer_uid, row.until)
                self._former.setdefault(key, row.since)

    # -- orders, products, carts -------------------------------------------------------

    def order(self, store_id: str, external_id: str) -> Order | None:
        key = (store_id, external_id)
        if key not in self.orders:
            self._load_keyed(orders, Order, self.orders, store_id, [external_id])
        return self.orders.get(key)

    def product(self, store_id: str, external_id: str) -> Product | None:
        key = (store_id, external_id)
        if key not in self.products:
            self._load_keyed(products, Product, self.products, store_id, [external_id])
        return self.products.get(key)

    def product_by_sku(self, store_id: str, sku: str) -> Product | None:
        key = (store_id, sku)
        if key not in self._product_by_sku:
            row = self.conn.execute(
                select(products)
                .where(products.c.store_id == store_id, products.c.sku == sku)
                .order_by(products.c.uid)
                .limit(1)
            ).first()
            self._product_by_sku[key] = None
            if row is not None:
                existing = self.products.get((store_id, row.external_id))
                if existing is None and (store_id, row.external_id) not in self.products:
                    existing = from_row(Product, row)
                    self._register(existing)
                self._product_by_sku[key] = row.external_id
        external_id = self._product_by_sku.get(key)
        return self.products.get((store_id, external_id)) if external_id else None

    def index_product_sku(self, product: Product) -> None:
        """A product whose sku was set in this batch is found by it from now on (unless
        another product already answers to that sku)."""
        key = (product.store_id, product.sku or "")
        if product.sku and self._product_by_sku.get(key) is None:
            self._product_by_sku[key] = product.external_id

    def remove_product(self, product: Product) -> None:
        self.products[(product.store_id, product.external_id)] = None
        key = (product.store_id, product.sku or "")
        if self._product_by_sku.get(key) == product.external_id:
            self._product_by_sku[key] = None
        self._forget(product)

    def cart(self, store_id: str, external_id: str) -> Cart | None:
        key = (store_id, external_id)
        if key not in self.carts:
            self._load_keyed(carts, Cart, self.carts, store_id, [external_id])
        return self.carts.get(key)

    def carts_since(self, store_id: str, customer_uid: str, after: datetime) -> list[Cart]:
        """The customer's carts last written after ``after``: those held, and the stored
        ones (held from now on, so that the batch's later events see any change)."""
        read = row_reader(Cart, carts.c.keys())
        rows = self.conn.execute(
            select(carts).where(
                carts.c.store_id == store_id,
                carts.c.customer_uid == customer_uid,
                carts.c.version_at > after,
            )
        )
        for row in rows:
            if (store_id, row.external_id) not in self.carts:
                self._register(read(row))
        return [
            cart
            for cart in self.carts.values()
            if cart is not None
            and cart.store_id == store_id
            and cart.customer_uid == customer_uid
            and cart.version_at > after
        ]

    def _load_keyed(
        self,
        table: Any,
        cls: type[Any],
        cache: dict[Key, Any],
        store_id: str,
        external_ids: Iterable[str],
    ) -> None:
        wanted = [value for value in set(external_ids) if (store_id, value) not in cache]
        for chunk in _chunks(wanted):
            rows = self.conn.execute(
                select(table).where(table.c.store_id == store_id, table.c.external_id.in_(chunk))
            )
            read = row_reader(cls, table.c.keys())
            for row in rows:
                self._register(read(row))
        for value in wanted:
            cache.setdefault((store_id, value), None)

    def preload(
        self,
        store_id: str,
        *,
        customer_ids: Iterable[str] = (),
        emails: Iterable[str] = (),
        order_ids: Iterable[str] = (),
        product_ids: Iterable[str] = (),
        cart_ids: Iterable[str] = (),
        visitor_ids: Iterable[str] = (),
        pos_ids: Iterable[str] = (),
        phones: Iterable[str] = (),
    ) -> None:
        """Load many entities with a few queries before a batch is applied."""
        self._load_customers(store_id, external_ids=customer_ids, emails=emails)
        self._load_by_secondary(store_id, POS_ID, pos_ids)
        self._load_by_secondary(store_id, PHONE, phones)
        self._load_keyed(orders, Order, self.orders, store_id, order_ids)
        self._load_keyed(products, Product, self.products, store_id, product_ids)
        self._load_keyed(carts, Cart, self.carts, store_id, cart_ids)
        self._load_visitors(store_id, visitor_ids)

    def visitor(self, store_id: str, visitor_id: str) -> Visitor | None:
        if (store_id, visitor_id) not in self.visitors:
            self._load_visitors(store_id, [visitor_id])
        return self.visitors.get((store_id, visitor_id))

    def _load_visitors(self, store_id: str, visitor_ids: Iterable[str]) -> None:
        wanted = [v for v in set(visitor_ids) if (store_id, v) not in self.visitors]
        for visitor in load_visitors(self.conn, store_id, wanted):
            self._register(visitor)
        for value in wanted:
            self.visitors.setdefault((store_id, value), None)

    def preload_last_orders(self, store_id: str, customer_uids: Iterable[str]) -> None:
        """When each customer's newest stored order was created (None: no order)."""
        wanted = [uid for uid in set(customer_uids) if (store_id, uid) not in self._last_order_at]
        for uid in wanted:
            self._last_order_at[(store_id, uid)] = None
        for chunk in _chunks(wanted):
            rows = self.conn.execute(
                select(
                    orders.c.customer_uid,
                    type_coerce(func.max(orders.c.created_at), UTCDateTime),
                )
                .where(
                    orders.c.store_id == store_id,
                    orders.c.customer_uid.in_(chunk),
                    orders.c.test.is_(False),
                )
                .group_by(orders.c.customer_uid)
            )
            for uid, last in rows:
                self._last_order_at[(store_id, uid)] = last

    def convert_carts(self, store_id: str, customer_uid: str, at: datetime) -> None:
        """The customer's open carts last touched at or before ``at`` were bought: those
        held now at once, so that the batch's later events see them bought (and only
        them: a cart written later is not), the stored ones at the flush."""
        self.carts_to_convert.append((store_id, customer_uid, at))
        for cart in self.carts.values():
            if (
                cart is not None
                and cart.store_id == store_id
                and cart.customer_uid == customer_uid
                and cart.status == OPEN
                and cart.version_at <= at
            ):
                cart.status = CONVERTED
                self.touch_columns(cart, "status")

    def has_order_since(self, store_id: str, customer_uid: str, at: datetime) -> bool:
        """Whether the customer placed an order (not a test one) created at or after ``at``."""
        for order in self.orders.values():
            if (
                order is not None
                and not order.test
                and order.store_id == store_id
                and order.customer_uid == customer_uid
                and order.created_at >= at
            ):
                return True
        removed = [o.uid for o in self.removed if isinstance(o, Order)]
        erased_at = self._erased_at(store_id, customer_uid)
        key = (store_id, customer_uid)
        if key in self._last_order_at:
            # Preloaded from the stored orders, which the batch does not change until
            # its flush: their newest answers, unless the batch removed an order or
            # took the customer from some (an erasure).
            last = self._last_order_at[key]
            if last is None or last < at:
                return False
            if not removed and erased_at is None:
                return True
        query = select(orders.c.uid).where(
            orders.c.store_id == store_id,
            orders.c.customer_uid == customer_uid,
            orders.c.created_at >= at,
            orders.c.test.is_(False),
        )
        if removed:
            query = query.where(orders.c.uid.not_in(removed))
        if erased_at is not None:
            # (the stored versions the erasure reached lose their buyer at the flush)
            query = query.where(orders.c.version_at > erased_at)
        return self.conn.execute(query.limit(1)).first() is not None

    def _erased_at(self, store_id: str, customer_uid: str) -> datetime | None:
        """The latest time this batch erased the customer as of, if it did."""
        return max(
            (at for store, uid, _, at in self.erasures if (store, uid) == (store_id, customer_uid)),
            default=None,
        )

    # -- suppressions and markers ------------------------------------------------------

    def preload_suppressions(self, store_id: str, emails: Iterable[str]) -> None:
        wanted = [email for email in set(emails) if (store_id, email) not in self.suppressions]
        for email in wanted:
            self.suppressions[(store_id, email)] = set()
        for chunk in _chunks(wanted):
            rows = self.conn.execute(
                select(suppressions.c.email, suppressions.c.type).where(
                    suppressions.c.store_id == store_id, suppressions.c.email.in_(chunk)
                )
            )
            for email, kind in rows:
                self.suppressions[(store_id, email)].add(kind)

    def suppression_types(self, store_id: str, email: str) -> set[str]:
        key = (store_id, email)
        if key not in self.suppressions:
            rows = self.conn.execute(
                select(suppressions.c.type).where(
                    suppressions.c.store_id == store_id, suppressions.c.email == email
                )
            )
            self.suppressions[key] = {row.type for row in rows}
        return self.suppressions[key]

    def add_suppression(
        self, store_id: str, email: str, kind: str, at: datetime, reason: str | None = None
    ) -> None:
        types = self.suppression_types(store_id, email)
        if kind in types:
            return
        types.add(kind)
        # A stored row removed earlier in the batch stays marked removed: the flush
        # deletes it before it inserts this one (with this time and reason).
        self.suppressions_added[(store_id, email, kind)] = (at, reason)

    def remove_suppression(self, store_id: str, email: str, kind: str) -> None:
        types = self.suppression_types(store_id, email)
        if kind not in types:
            return
        types.discard(kind)
        if self.suppressions_added.pop((store_id, email, kind), None) is None:
            self.suppressions_removed.add((store_id, email, kind))

    def suppressed_since(self, store_id: str, email: str, kind: str) -> datetime | None:
        """Since when ``email`` is suppressed as ``kind`` (None if it is not)."""
        if kind not in self.suppression_types(store_id, email):
            return None
        added = self.suppressions_added.get((store_id, email, kind))
        if added is not None:
            return added[0]
        at: datetime | None = self.conn.execute(
            select(suppressions.c.created_at).where(
                suppressions.c.store_id == store_id,
                suppressions.c.email == email,
                suppressions.c.type == kind,
            )
        ).scalar()
        return at

    def suppressions_with_reason(
        self, store_id: str, kind: str, reason: str
    ) -> list[tuple[str, datetime]]:
        """The addresses suppressed as ``kind`` for ``reason``, and since when (stored
        or added in this batch, less those it removed)."""
        rows = self.conn.execute(
            select(suppressions.c.email, suppressions.c.created_at).where(
                suppressions.c.store_id == store_id,
                suppressions.c.type == kind,
                suppressions.c.reason == reason,
            )
        ).all()
        found = {
            email: at
            for email, at in rows
            if (store_id, email, kind) not in self.suppressions_removed
        }
        for (store, email, added_kind), (at, why) in self.suppressions_added.items():
            if (store, added_kind) == (store_id, kind):
                if why == reason:
                    found[email] = at
                else:  # (added again in this batch, for another reason)
                    found.pop(email, None)
        return [
            (email, at)
            for email, at in found.items()
            if kind in self.suppression_types(store_id, email)
        ]

    def marker(self, store_id: str, kind: str, key: str) -> datetime | None:
        full = (store_id, kind, key)
        if full not in self.markers:
            row = self.conn.execute(
                select(markers.c.at).where(
                    markers.c.store_id == store_id, markers.c.kind == kind, markers.c.key == key
                )
            ).first()
            self.markers[full] = row.at if row else None
        return self.markers[full]

    def preload_markers(self, store_id: str, kind: str, keys: Iterable[str]) -> None:
        """Look many markers of one kind up with a few queries; absent ones are remembered too."""
        wanted = [key for key in set(keys) if (store_id, kind, key) not in self.markers]
        for chunk in _chunks(wanted):
            rows = self.conn.execute(
                select(markers.c.key, markers.c.at).where(
                    markers.c.store_id == store_id,
                    markers.c.kind == kind,
                    markers.c.key.in_(chunk),
                )
            )
            for key, at in rows:
                self.markers[(store_id, kind, key)] = at
        for key in wanted:
            self.markers.setdefault((store_id, kind, key), None)

    def set_marker(self, store_id: str, kind: str, key: str, at: datetime) -> None:
        self.marker(store_id, kind, key)
        self.markers[(store_id, kind, key)] = at
        self.markers_changed.add((store_id, kind, key))

    def opt_in(self, store_id: str, email: str) -> OptIn | None:
        """The address's sign-up that asked for a double opt-in, if it has one."""
        key = (store_id, email)
        if key not in self.opt_ins:
            self.opt_ins[key] = read_opt_in(self.conn, store_id, email)
        return self.opt_ins[key]

    def put_opt_in(self, request: OptIn) -> None:
        key = (request.store_id, request.email)
        self.opt_ins[key] = request
        self.opt_ins_changed.add(key)

    def changed_opt_ins(self) -> list[OptIn]:
        return [r for key in self.opt_ins_changed if (r := self.opt_ins[key]) is not None]


# Every customer this workspace adopts comes from a ``select(customers)``.
_read_customer = row_reader(Customer, customers.c.keys())


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def naming_order(customer: Customer) -> tuple[bool, str, str]:
    """Which of the records holding one address (or pos_id, or phone) it names: with
    an id before without, then by id."""
    return (customer.external_id is None, customer.external_id or "", customer.uid)
