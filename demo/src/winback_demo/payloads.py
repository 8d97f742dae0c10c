"""The shop's records as the integration contract's payloads (customer, product, cart, order)."""

from __future__ import annotations

from typing import Any

from winback_demo.accounts import User
from winback_demo.carts import Cart, CartLine
from winback_demo.catalog import Product, image_url, product_url
from winback_demo.checkout import Order


def customer_payload(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "accepts_marketing": user.accepts_marketing,
        "created_at": user.created_at,
        "updated_at": user.created_at,
    }


def product_payload(product: Product, base_url: str, currency: str, at: str) -> dict[str, Any]:
    return {
        "id": product.id,
        "sku": product.slug.upper(),
        "title": product.title,
        "body_html": f"<p>{product.description}</p>",
        "url": product_url(base_url, product),
        "vendor": product.brand,
        "price": product.price,
        "currency": currency,
        "categories": [{"code": name.lower(), "name": name} for name in product.category_path],
        "image": {"src": image_url(base_url, product)},
        "product_exists": product.stock > 0,
        "created_at": at,
        "updated_at": at,
    }


def line_payload(line: CartLine, base_url: str) -> dict[str, Any]:
    return {
        "product_id": line.product.id,
        "sku": line.product.slug.upper(),
        "name": line.product.title,
        "title": line.product.title,
        "quantity": line.quantity,
        "price": line.product.price,
        "url": product_url(base_url, line.product),
        "image": image_url(base_url, line.product),
        "added_at": line.added_at,
    }


def restore_url(base_url: str, cart: Cart) -> str:
    return f"{base_url}/cart/restore/{cart.token}"


def cart_payload(cart: Cart, user: User | None, base_url: str, currency: str) -> dict[str, Any]:
    return {
        "id": cart.token,
        "created_at": cart.created_at,
        "updated_at": cart.updated_at,
        "currency": currency,
        "customer": customer_payload(user) if user else None,
        "email": user.email if user else None,
        "accepts_marketing": user.accepts_marketing if user else None,
        "abandoned_checkout_url": restore_url(base_url, cart),
        "line_items": [line_payload(line, base_url) for line in cart.lines],
        "total_price": cart.subtotal,
    }


def order_payload(order: Order, base_url: str, currency: str) -> dict[str, Any]:
    discount = order.discount
    return {
        "id": order.id,
        "name": f"#{order.id}",
        "created_at": order.created_at,
        "updated_at": order.created_at,
        "currency": currency,
        "email": order.user.email,
        "customer": customer_payload(order.user),
        "status": {"code": "processing", "name": "Processing"},
        "financial_status": "paid",
        "line_items": [line_payload(line, base_url) for line in order.lines],
        "discount_codes": (
            [{"code": discount.code, "amount": discount.amount, "type": discount.kind}]
            if discount
            else []
        ),
        "subtotal_price": order.subtotal,
        "total_discounts": discount.amount if discount else 0,
        "total_shipping": order.shipping,
        "total_price": order.total,
        "cart_token": order.cart_token,
    }
