"""A product payload's description: what it writes onto the stored product."""

from __future__ import annotations

import pickle
from decimal import Decimal

from winback.catalog.description import describe_product
from winback.catalog.payloads import ProductPayload


def test_a_product_without_variants_is_described_with_one_variant_of_its_own() -> None:
    payload = ProductPayload.model_validate(
        {
            "id": 7,
            "sku": "POT-7",
            "title": "Pot",
            "price": "12.5",
            "salePrice": "9.90",
            "currency": "eur",
            "manufacturer": "Clay Co",
            "categories": ["Kitchen", {"code": "K2"}],
            "image": {"src": "https://cdn.example/pot.jpg"},
            "images": ["https://cdn.example/pot.jpg", "https://cdn.example/pot-2.jpg"],
            "body_html": "<p>A pot</p>",
            "colour": "red",
        }
    )

    described = describe_product(payload)

    assert (described.id, described.sku, described.currency, described.vendor) == (
        "7",
        "POT-7",
        "EUR",
        "Clay Co",
    )
    assert (described.price, described.sale_price) == (Decimal("12.5"), Decimal("9.90"))
    assert described.categories == [{"code": None, "name": "Kitchen"}, {"code": "K2", "name": "K2"}]
    assert described.images == ["https://cdn.example/pot.jpg", "https://cdn.example/pot-2.jpg"]
    [own] = described.variants
    assert own == {
        "id": "7",
        "product_id": "7",
        "sku": "POT-7",
        "title": "Pot",
        "price": "12.50",
        "salePrice": "9.90",
    }
    assert described.data == {"body_html": "<p>A pot</p>", "options": [], "colour": "red"}
    assert described.content_digest is None


def test_variants_are_described_as_each_of_them_dumps_and_survive_pickling() -> None:
    payload = ProductPayload.model_validate(
        {
            "id": "SHIRT",
            "variants": [
                {"id": "S-RED", "price": "20", "barcode": "111", "size": "M"},
                {"id": "S-BLUE", "price": 18.5, "inventory_quantity": 3},
            ],
        }
    ).with_content_digest("abc")

    described = describe_product(payload)

    assert described.variants == [
        v.model_dump(mode="json", exclude_none=True) for v in payload.variants
    ]
    assert described.variants[0]["price"] == "20.00"
    assert described.variants[0]["size"] == "M"
    assert described.content_digest == "abc"
    assert pickle.loads(pickle.dumps(described)) == described
