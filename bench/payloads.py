"""Realistic webhook traffic for the intake benchmark, generated from a fixed seed.

The mix follows what a busy custom store sends: 40% orders (2-4 KB, 1-5 line
items, every contract field a real sender fills), 25% carts, 20% customers and
15% custom events. Ids repeat the way they do in a live store (a cart is
updated several times, an order changes status, a customer edits a profile),
ids arrive as numbers or as strings, money as numbers or as strings, and every
event's ``updated_at`` is later than the one before it, so an update is never
stale by accident.

The same seed always gives the same bytes, so runs are comparable.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

SEED = 20_250_301
# Events are spaced 20 ms apart in "store time": updated_at strictly increases.
START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=20)
ORDER_MIN_BYTES = 2048
ORDER_MAX_BYTES = 4096

MIX = (("order", 40), ("cart", 25), ("customer", 20), ("custom", 15))
CUSTOM_TYPES = ("review/created", "wishlist/added", "loyalty/points_earned", "quote/requested")
FIRST_NAMES = ("Ada", "Grace", "Linus", "Margaret", "Alan", "Edsger", "Barbara", "Ken", "Radia")
LAST_NAMES = ("Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Dijkstra", "Liskov")
CITIES = (
    ("Lyon", "FR", "69001"),
    ("Leeds", "GB", "LS1 4AP"),
    ("Austin", "US", "73301"),
    ("Porto", "PT", "4000-001"),
)
PRODUCT_WORDS = ("Linen", "Wool", "Merino", "Canvas", "Leather", "Cotton", "Denim", "Silk")
PRODUCT_KINDS = ("Shirt", "Scarf", "Tote", "Jacket", "Beanie", "Sneaker", "Wallet", "Socks")


@dataclass(frozen=True)
class Event:
    """One webhook delivery: its ``x-event-type`` and its JSON body."""

    event_type: str
    body: bytes


def _money(rng: random.Random, value: Decimal) -> str | float:
    # Senders send money both ways; the string keeps the trailing zero.
    return f"{value:.2f}" if rng.random() < 0.5 else float(value)


def _external_id(rng: random.Random, value: int) -> str | int:
    return str(value) if rng.random() < 0.5 else value


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


class TrafficModel:
    """The state of a simulated store: which ids exist, so later events can update them."""

    def __init__(self, seed: int = SEED, customers: int = 40_000, products: int = 2_000) -> None:
        self.rng = random.Random(seed)
        self.customer_pool = customers
        self.product_pool = products
        self.index = 0
        self.next_order = 100_000
        self.next_cart = 500_000
        self.open_orders: list[int] = []
        self.open_carts: list[int] = []
        self.orders: dict[int, dict[str, Any]] = {}
        self.carts: dict[int, dict[str, Any]] = {}
        self.seen_customers: set[int] = set()

    def now(self) -> datetime:
        return START + STEP * self.index

    def pick_customer(self) -> int:
        # Skewed draw: a few customers come back often, most appear once or twice.
        return 1 + int(self.customer_pool * self.rng.random() ** 2)

    def customer(self, number: int, *, full: bool = True) -> dict[str, Any]:
        rng = self.rng
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[number % len(LAST_NAMES)]
        city, country, zipcode = CITIES[number % len(CITIES)]
        body: dict[str, Any] = {
            "id": _external_id(rng, number),
            "email": f"{first.lower()}.{last.lower()}.{number}@example.com",
            "first_name": first,
            "last_name": last,
            "accepts_marketing": rng.choice((True, False, None)),
            "updated_at": _stamp(self.now()),
        }
        if full:
            body |= {
                "created_at": _stamp(START - timedelta(days=number % 900)),
                "gender": rng.choice(("F", "M", "female", None)),
                "birthdate": f"19{60 + number % 40}-0{1 + number % 9}-1{number % 10}",
                "tags": rng.choice((["vip", "newsletter"], "wholesale,repeat", [])),
                "groups": [{"id": number % 5, "name": f"group-{number % 5}"}],
                "default_address": self.address(number, city, country, zipcode),
                "rewards": {"points": rng.randint(0, 5000)},
                "verified_email": True,
                "guest": False,
            }
        return body

    @staticmethod
    def address(number: int, city: str, country: str, zipcode: str) -> dict[str, Any]:
        return {
            "country": country,
            "country_code": country,
            "province_code": None,
            "city": city,
            "street": f"{number % 180 + 1} Harbour Street",
            "zip": zipcode,
            "phone": f"+44 20 7946 {number % 10_000:04d}",
        }

    def line_item(self) -> tuple[dict[str, Any], Decimal]:
        rng = self.rng
        product = rng.randint(1, self.product_pool)
        price = Decimal(rng.randint(500, 25_000)) / 100
        quantity = rng.choice((1, 1, 1, 2, 3))
        name = f"{PRODUCT_WORDS[product % 8]} {PRODUCT_KINDS[product // 8 % 8]}"
        item = {
            "product_id": _external_id(rng, product),
            "variant_id": f"{product}-{rng.randint(1, 4)}",
            "sku": f"SKU-{product:05d}",
            "quantity": quantity if rng.random() < 0.7 else str(quantity),
            "name": name,
            "title": name,
            "variant_title": rng.choice(("S", "M", "L", "XL")),
            "vendor": "Harbour & Co",
            "price": _money(rng, price),
            "url": f"https://shop.example.com/products/{product}",
            "image": {"src": f"https://cdn.shop.example.com/p/{product}/main.jpg"},
            "taxable": True,
            "tax_amount": _money(
                rng, (price * quantity * Decimal("0.2")).quantize(Decimal("1.00"))
            ),
        }
        return item, price * quantity

    def lines(self, count: int) -> tuple[list[dict[str, Any]], Decimal]:
        items, total = [], Decimal(0)
        for _ in range(count):
            item, amount = self.line_item()
            items.append(item)
            total += amount
        return items, total

    def order(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        if self.open_orders and rng.random() < 0.3:
            return "orders/update", self.order_update(rng.choice(self.open_orders))
        return "orders/create", self.new_order()

    def new_order(self) -> dict[str, Any]:
        rng = self.rng
        self.next_order += 1
        number = self.pick_customer()
        items, subtotal = self.lines(rng.randint(1, 5))
        discount = (subtotal * Decimal("0.1")).quantize(Decimal("1.00"))
        shipping, tax = Decimal("4.95"), (subtotal * Decimal("0.2")).quantize(Decimal("1.00"))
        city, country, zipcode = CITIES[number % len(CITIES)]
        address = self.address(number, city, country, zipcode) | {
            "first_name": FIRST_NAMES[number % len(FIRST_NAMES)],
            "last_name": LAST_NAMES[number % len(LAST_NAMES)],
        }
        body: dict[str, Any] = {
            "id": _external_id(rng, self.next_order),
            "name": f"#{self.next_order}",
            "created_at": _stamp(self.now()),
            "updated_at": _stamp(self.now()),
            "currency": "USD",
            "email": f"{address['first_name'].lower()}.{address['last_name'].lower()}"
            f".{number}@example.com",
            "customer": self.customer(number, full=rng.random() < 0.5),
            "line_items": items,
            "discount_codes": [{"code": "SPRING10", "amount": _money(rng, discount), "type": "%"}],
            "status": {"code": "pending", "name": "Pending"},
            "financial_status": rng.choice(({"code": "paid", "name": "Paid"}, "authorized")),
            "fulfillment_status": None,
            "payment_method": rng.choice(("card", "paypal", "bank_transfer")),
            "note": rng.choice(("", "Please leave the parcel with the neighbour.", None)),
            "test": False,
            "channel": rng.choice(("web", "web", "POS")),
            "taxes_included": False,
            "shipping_address": address,
            "billing_address": address,
            "shipping_lines": [{"title": "Standard", "price": _money(rng, shipping)}],
            "tax_lines": [{"title": "VAT", "rate": 0.2, "price": _money(rng, tax)}],
            "subtotal_price": _money(rng, subtotal),
            "total_line_items_price": _money(rng, subtotal),
            "total_discounts": _money(rng, -discount if rng.random() < 0.2 else discount),
            "total_shipping": _money(rng, shipping),
            "total_tax": _money(rng, tax),
            "total_price": _money(rng, subtotal - discount + shipping + tax),
            "total_weight": rng.randint(100, 4000),
        }
        self.remember(self.open_orders, self.next_order, body)
        return body

    def order_update(self, order_id: int) -> dict[str, Any]:
        body = dict(self.orders[order_id])
        body["updated_at"] = _stamp(self.now())
        body["status"] = self.rng.choice(({"code": "shipped", "name": "Shipped"}, "complete"))
        body["fulfillment_status"] = "fulfilled"
        self.orders[order_id] = body
        return body

    def cart(self) -> dict[str, Any]:
        rng = self.rng
        if self.open_carts and rng.random() < 0.6:
            body = dict(self.carts[rng.choice(self.open_carts)])
            item, _ = self.line_item()
            body["line_items"] = [*body["line_items"][-4:], item]
            body["updated_at"] = _stamp(self.now())
            self.carts[int(body["id"])] = body
            return body
        self.next_cart += 1
        number = self.pick_customer()
        # Three carts in ten are anonymous: no customer, no email yet.
        customer = self.customer(number, full=False) if rng.random() < 0.7 else None
        items, subtotal = self.lines(rng.randint(1, 3))
        body = {
            "id": _external_id(rng, self.next_cart),
            "created_at": _stamp(self.now()),
            "updated_at": _stamp(self.now()),
            "currency": "USD",
            "customer": customer,
            "email": customer["email"] if customer else None,
            "accepts_marketing": rng.choice((True, None)),
            "abandoned_checkout_url": f"https://shop.example.com/cart/restore/{self.next_cart}",
            "cart_token": f"ct_{rng.getrandbits(64):016x}",
            "line_items": items,
            "discount_codes": [],
            "total_price": _money(rng, subtotal),
            "subtotal_price": _money(rng, subtotal),
        }
        self.remember(self.open_carts, self.next_cart, body)
        return body

    def custom(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        number = self.pick_customer()
        event_type = rng.choice(CUSTOM_TYPES)
        return event_type, {
            "customer_id": _external_id(rng, number),
            "email": f"custom.{number}@example.com",
            "product_id": rng.randint(1, self.product_pool),
            "rating": rng.randint(1, 5),
            "text": "Fits well, the colour is exactly as shown." * rng.randint(1, 4),
            "points": rng.randint(10, 500),
            "timestamp": _stamp(self.now()),
            "event_id": f"evt_{rng.getrandbits(64):016x}",
        }

    def remember(self, recent: list[int], key: int, body: dict[str, Any]) -> None:
        # Keep a window of recent orders/carts: updates touch what was just created.
        store = self.orders if recent is self.open_orders else self.carts
        store[key] = body
        recent.append(key)
        if len(recent) > 1000:
            del store[recent.pop(0)]

    def next_event(self) -> Event:
        self.index += 1
        kind = self.rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
        if kind == "order":
            event_type, order = self.order()
            return Event(event_type, sized_order(order))
        if kind == "cart":
            return Event("carts/update", orjson.dumps(self.cart()))
        if kind == "customer":
            number = self.pick_customer()
            event_type = "customers/update" if number in self.seen_customers else "customers/create"
            self.seen_customers.add(number)
            return Event(event_type, orjson.dumps(self.customer(number)))
        event_type, custom = self.custom()
        return Event(event_type, orjson.dumps(custom))


def sized_order(body: dict[str, Any]) -> bytes:
    """The order as JSON, padded with note attributes (gift notes, campaign tags) to >= 2 KB."""
    encoded = orjson.dumps(body)
    attributes: list[dict[str, str]] = body.setdefault("note_attributes", [])
    while len(encoded) < ORDER_MIN_BYTES:
        number = len(attributes)
        attributes.append({"name": f"utm_param_{number}", "value": f"spring-campaign-{number:04d}"})
        encoded = orjson.dumps(body)
    if len(encoded) > ORDER_MAX_BYTES:
        raise ValueError(f"an order of {len(encoded)} bytes is larger than the benchmark's mix")
    return encoded


def generate(count: int, seed: int = SEED) -> list[Event]:
    """``count`` events of the benchmark's mix; the same seed gives the same bytes."""
    model = TrafficModel(seed)
    return [model.next_event() for _ in range(count)]


def probe_customer(tag: str, number: int) -> Event:
    """A customer with an id no other event uses: its first appearance can be timed."""
    body = {
        "id": f"probe-{tag}-{number}",
        "email": f"probe.{tag}.{number}@example.com",
        "first_name": "Probe",
        "accepts_marketing": True,
        "updated_at": _stamp(datetime.now(UTC)),
    }
    return Event("customers/update", orjson.dumps(body))


def write_requests(path: Path, events: list[Event]) -> None:
    """One record per event: ``<event type> <body length>\n<body>`` (read by the wrk script)."""
    with path.open("wb") as out:
        for event in events:
            out.write(f"{event.event_type} {len(event.body)}\n".encode())
            out.write(event.body)


def read_requests(path: Path) -> Iterator[Event]:
    """The events written by :func:`write_requests`, in order."""
    data = path.read_bytes()
    position = 0
    while position < len(data):
        end = data.index(b"\n", position)
        event_type, length = data[position:end].decode().rsplit(" ", 1)
        start = end + 1
        position = start + int(length)
        yield Event(event_type, data[start:position])


def summarize(events: list[Event]) -> dict[str, Any]:
    """Counts and sizes by kind, to check the mix is what the benchmark claims."""
    kinds: dict[str, list[int]] = {}
    for event in events:
        kind = event.event_type.split("/")[0] if "/" in event.event_type else "custom"
        kind = kind if kind in ("orders", "carts", "customers") else "custom"
        kinds.setdefault(kind, []).append(len(event.body))
    return {
        kind: {
            "share": len(sizes) / len(events),
            "min": min(sizes),
            "max": max(sizes),
            "mean": sum(sizes) / len(sizes),
        }
        for kind, sizes in sorted(kinds.items())
    }


if __name__ == "__main__":
    sample = generate(20_000)
    print(orjson.dumps(summarize(sample), option=orjson.OPT_INDENT_2).decode())
