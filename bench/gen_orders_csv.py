"""Generate an orders history CSV for the import benchmark, the same bytes for the same seed.

    .venv/bin/python bench/gen_orders_csv.py OUT.csv [--line-items 1000000] [--seed 11]

One row per line item with every column of integration.md section 3. By
default about 300,000 orders (1 to 6 line items, 3.33 on average) of 100,000
customers from 5,000 products, over three years, in the order a store exports
them (by creation time). Nine customers in ten have a ``customer_id`` and an
email; the tenth is a guest, known by an email only (guests' addresses are
their own, so each identifies one customer). A quarter of the orders were
modified after they were placed; a tenth carry a coupon; amounts are exact
decimals with two places, and ``order_total`` = subtotal + shipping + tax -
discount.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

HEADER = [
    "order_id",
    "order_created_at",
    "order_status",
    "order_financial_status",
    "order_modified_at",
    "order_currency",
    "order_subtotal",
    "order_shipping",
    "order_discount",
    "order_tax",
    "order_total",
    "order_coupon_code",
    "customer_id",
    "customer_pos_id",
    "customer_email",
    "customer_first_name",
    "customer_last_name",
    "customer_accepts_marketing",
    "product_id",
    "sku",
    "product_name",
    "quantity",
    "price",
    "product_url",
    "product_image",
]
FIRST_NAMES = ["Ann", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu"]
LAST_NAMES = ["Lee", "Moe", "Ng", "Orr", "Poe", "Qi", "Roe", "Sax", "Tam", "Uhl", "Vo", "Wu"]
WORDS = ["soft", "bright", "steel", "oak", "wool", "linen", "round", "tall", "compact", "light"]
THINGS = ["mug", "lamp", "chair", "scarf", "bowl", "shirt", "shoe", "kite", "clock", "vase"]
STATUSES = ["complete"] * 8 + ["processing", "canceled"]
FINANCIAL = ["paid"] * 8 + ["pending", "refunded"]
START = datetime(2022, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 24 * 3600
AVERAGE_LINES = 10 / 3  # 1,000,000 line items make about 300,000 orders


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _products(rng: random.Random, count: int) -> list[tuple[str, str, str, int]]:
    """(id, sku, name, price in cents) of each product."""
    return [
        (
            str(10_000 + n),
            f"SKU-{n:05d}",
            f"{rng.choice(WORDS).title()} {rng.choice(THINGS)} {n}",
            rng.randrange(199, 25_000),
        )
        for n in range(count)
    ]


def _customer(rng: random.Random, number: int, guest: bool) -> list[str]:
    """The customer columns: id, pos id, email, first and last name, accepts marketing."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if guest:
        email = f"guest{number}@example.net"
        return ["", "", email, first, last, ""]
    email = f"{first.lower()}.{last.lower()}.{number}@example.com"
    pos_id = f"POS{number}" if number % 7 == 0 else ""
    marketing = rng.choice(["1", "0", ""])
    return [f"C{number}", pos_id, email, first, last, marketing]


def _line_counts(rng: random.Random, line_items: int) -> Iterator[int]:
    left = line_items
    while left > 0:
        # 1 to 6 line items, weighted so that the mean is 10/3.
        count = min(rng.choice([1, 1, 2, 3, 3, 4, 4, 5, 5, 6]), left)
        left -= count
        yield count


def rows(line_items: int, customers: int, products: int, seed: int) -> Iterator[list[str]]:
    rng = random.Random(seed)
    catalog = _products(rng, products)
    orders = int(line_items / AVERAGE_LINES)
    step = SPAN_SECONDS / max(orders, 1)
    for number, count in enumerate(_line_counts(rng, line_items)):
        # Every customer orders at least once; regulars come back.
        who = number if number < customers else int(rng.paretovariate(1.2) * 97) % customers
        customer = _customer(random.Random(seed * 1_000_003 + who), who, guest=who % 10 == 0)
        created = START + timedelta(seconds=int(number * step) + rng.randrange(0, 60))
        modified = created + timedelta(days=rng.randrange(1, 30)) if rng.random() < 0.25 else None
        lines = [(rng.choice(catalog), rng.randrange(1, 4)) for _ in range(count)]
        subtotal = sum(price * quantity for (_, _, _, price), quantity in lines)
        shipping = rng.choice([0, 0, 499, 999])
        discount = subtotal // 10 if rng.random() < 0.1 else 0
        tax = (subtotal - discount) * 8 // 100
        order = [
            str(500_000 + number),
            created.isoformat().replace("+00:00", "Z"),
            rng.choice(STATUSES),
            rng.choice(FINANCIAL),
            modified.isoformat().replace("+00:00", "Z") if modified else "",
            "" if rng.random() < 0.8 else "USD",
            _money(subtotal),
            _money(shipping),
            _money(discount),
            _money(tax),
            _money(subtotal + shipping + tax - discount),
            "SPRING10" if discount else "",
        ]
        for (product_id, sku, name, price), quantity in lines:
            url = f"https://shop.example/p/{product_id}"
            image = f"https://cdn.shop.example/{product_id}.jpg"
            item = [product_id, sku, name, str(quantity), _money(price), url, image]
            yield order + customer + item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--line-items", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with args.out.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows(args.line_items, args.customers, args.products, args.seed))


if __name__ == "__main__":
    main()
