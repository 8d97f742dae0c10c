"""The shop's catalog: a fixed range of products, seeded on first start, and its feed rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from winback_storekit import FeedProduct

from winback_demo.database import Database


@dataclass(frozen=True)
class Product:
    id: str
    slug: str
    title: str
    description: str
    price: Decimal
    category: str
    brand: str
    stock: int

    @property
    def category_path(self) -> list[str]:
        return [step.strip() for step in self.category.split(">")]


# (id, slug, title, price, category, brand, stock, description)
SEED = [
    (
        "101",
        "trail-runner",
        "Trail Runner Shoe",
        "89.90",
        "Shoes > Running",
        "Northpeak",
        25,
        "A light trail shoe with a grippy sole for wet roots and rocks.",
    ),
    (
        "102",
        "city-sneaker",
        "City Sneaker",
        "64.00",
        "Shoes > Casual",
        "Urbanwalk",
        40,
        "Canvas upper, cushioned insole, made for long days on pavement.",
    ),
    (
        "103",
        "hiking-boot",
        "Alpine Hiking Boot",
        "149.00",
        "Shoes > Hiking",
        "Northpeak",
        12,
        "Waterproof leather boot with ankle support for multi-day hikes.",
    ),
    (
        "104",
        "wool-socks",
        "Merino Wool Socks (3 pack)",
        "18.50",
        "Accessories > Socks",
        "Woolly",
        120,
        "Soft merino socks that stay warm when wet.",
    ),
    (
        "105",
        "rain-jacket",
        "Packable Rain Jacket",
        "119.00",
        "Clothing > Jackets",
        "Drizzle",
        18,
        "Seam-sealed shell that packs into its own pocket.",
    ),
    (
        "106",
        "fleece",
        "Grid Fleece Pullover",
        "69.00",
        "Clothing > Mid layers",
        "Drizzle",
        30,
        "Breathable grid fleece for cold starts.",
    ),
    (
        "107",
        "daypack",
        "22L Daypack",
        "79.00",
        "Bags > Backpacks",
        "Carryall",
        22,
        "A daypack with a hydration sleeve and a padded back.",
    ),
    (
        "108",
        "water-bottle",
        "Insulated Bottle 750ml",
        "29.00",
        "Accessories > Bottles",
        "Thermos Co",
        75,
        "Keeps water cold for 24 hours and coffee hot for 12.",
    ),
    (
        "109",
        "cap",
        "Running Cap",
        "22.00",
        "Accessories > Hats",
        "Urbanwalk",
        60,
        "Quick-drying cap with a reflective band.",
    ),
    (
        "110",
        "headlamp",
        "Rechargeable Headlamp",
        "45.00",
        "Gear > Lighting",
        "Brightline",
        35,
        "400 lumens, USB-C, and a red light mode for the tent.",
    ),
    (
        "111",
        "trekking-poles",
        "Carbon Trekking Poles",
        "99.00",
        "Gear > Poles",
        "Northpeak",
        15,
        "Three-section carbon poles with cork grips.",
    ),
    (
        "112",
        "tee",
        "Technical Tee",
        "32.00",
        "Clothing > Tops",
        "Drizzle",
        80,
        "A wicking tee for runs and climbs.",
    ),
]


def seed_products(db: Database) -> None:
    """Put the seed range in the shop once; later starts keep what is there."""
    with db.connect() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO products "
            "(id, slug, title, price, category, brand, stock, description) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            SEED,
        )


def _product(row: sqlite3.Row) -> Product:
    return Product(
        id=row["id"],
        slug=row["slug"],
        title=row["title"],
        description=row["description"],
        price=Decimal(row["price"]),
        category=row["category"],
        brand=row["brand"],
        stock=row["stock"],
    )


def all_products(db: Database) -> list[Product]:
    with db.connect() as conn:
        rows = conn.execute("SELECT * FROM products ORDER BY id").fetchall()
    return [_product(row) for row in rows]


def product_by_slug(db: Database, slug: str) -> Product | None:
    with db.connect() as conn:
        row = conn.execute("SELECT * FROM products WHERE slug = ?", (slug,)).fetchone()
    return _product(row) if row else None


def product_by_id(conn: sqlite3.Connection, product_id: str) -> Product | None:
    row = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
    return _product(row) if row else None


def product_url(base_url: str, product: Product) -> str:
    return f"{base_url}/products/{product.slug}"


def image_url(base_url: str, product: Product) -> str:
    return f"{base_url}/images/{product.id}.svg"


def feed_rows(products: list[Product], base_url: str, currency: str) -> Iterator[FeedProduct]:
    """The catalog as feed rows; ids are the same ones orders and carts use."""
    for product in products:
        yield FeedProduct(
            id=product.id,
            title=product.title,
            link=product_url(base_url, product),
            price=product.price,
            currency=currency,
            image_link=image_url(base_url, product),
            description=product.description,
            sku=product.slug.upper(),
            availability="in stock" if product.stock > 0 else "out of stock",
            brand=product.brand,
            product_type=[product.category],
        )
