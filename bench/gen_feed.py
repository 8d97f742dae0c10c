"""Generate a Google Shopping CSV feed for the feed benchmark, the same bytes for the same seed.

    .venv/bin/python bench/gen_feed.py OUT.csv[.gz] [--rows 1000000] [--seed 7]

About a third of the rows are products on their own; the rest are variants
(2 to 5 rows sharing an ``item_group_id``, listed together as stores list
them). Every row has one to three categories (``|`` between them, ``>``
inside a path), a brand, a price written ``129.90 USD`` or bare, and about a
fifth have a sale price. A name ending in ``.gz`` is gzipped.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
from collections.abc import Iterator
from pathlib import Path

HEADER = [
    "id",
    "item_group_id",
    "title",
    "description",
    "link",
    "image_link",
    "sku",
    "gtin",
    "availability",
    "price",
    "sale_price",
    "brand",
    "product_type",
]
DEPARTMENTS = ["Home", "Garden", "Kitchen", "Clothes", "Shoes", "Toys", "Books", "Sports"]
AISLES = ["New", "Classics", "Outdoor", "Kids", "Gifts", "Basics", "Premium", "Eco"]
SHELVES = ["Small", "Large", "Sets", "Spare parts", "Accessories", "Bundles"]
BRANDS = [f"Brand {n:03d}" for n in range(300)]
WORDS = ["soft", "bright", "steel", "oak", "wool", "linen", "cotton", "round", "tall"]
WORDS += ["compact", "light", "sturdy", "classic"]
SIZES = ["XS", "S", "M", "L", "XL"]
AVAILABILITY = ["in stock"] * 8 + ["out of stock", "preorder"]


def _category(rng: random.Random) -> str:
    path = [rng.choice(DEPARTMENTS), rng.choice(AISLES)]
    if rng.random() < 0.5:
        path.append(rng.choice(SHELVES))
    return " > ".join(path)


def _price(rng: random.Random) -> tuple[str, str]:
    cents = rng.randrange(199, 99_999)
    price = f"{cents // 100}.{cents % 100:02d}"
    sale = ""
    if rng.random() < 0.2:
        off = cents * rng.randrange(60, 95) // 100
        sale = f"{off // 100}.{off % 100:02d}"
    return (f"{price} USD" if rng.random() < 0.8 else price), sale


def _row(rng: random.Random, item_id: str, group: str, title: str, brand: str) -> list[str]:
    price, sale = _price(rng)
    categories = "|".join(dict.fromkeys(_category(rng) for _ in range(rng.randint(1, 3))))
    description = " ".join(rng.choices(WORDS, k=rng.randint(8, 24)))
    return [
        item_id,
        group,
        title,
        f"A {description}.",
        f"https://shop.example/p/{item_id}",
        f"https://cdn.shop.example/img/{item_id}.jpg",
        f"SKU-{item_id}",
        f"{rng.randrange(10**12, 10**13)}",
        rng.choice(AVAILABILITY),
        price,
        sale,
        brand,
        categories,
    ]


def rows(count: int, seed: int) -> Iterator[list[str]]:
    """``count`` feed rows, deterministic for ``seed``."""
    rng = random.Random(seed)
    made = 0
    product = 0
    while made < count:
        product += 1
        brand = rng.choice(BRANDS)
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} item {product}"
        variants = 1 if rng.random() < 0.35 else rng.randint(2, 5)
        variants = min(variants, count - made)
        if variants == 1:
            yield _row(rng, f"P{product}", "", name, brand)
        else:
            for size in SIZES[:variants]:
                yield _row(rng, f"P{product}-{size}", f"G{product}", f"{name} {size}", brand)
        made += variants


def _open(path: Path) -> gzip.GzipFile | io.BufferedWriter:
    if path.suffix == ".gz":
        return gzip.open(path, "wb", compresslevel=6)
    return path.open("wb")


def write_feed(path: Path, count: int, seed: int) -> None:
    with _open(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows(count, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write_feed(args.out, args.rows, args.seed)


if __name__ == "__main__":
    main()
