"""Everything the shop tells winback, through the store kit: webhooks and the product feed."""

from __future__ import annotations

import hashlib
import json
import logging

from winback_storekit import Outbox, OutboxSettings, publish_feed

from winback_demo.accounts import User
from winback_demo.carts import Cart
from winback_demo.catalog import Product, all_products, feed_rows
from winback_demo.checkout import Order
from winback_demo.clock import now_text
from winback_demo.database import Database
from winback_demo.payloads import cart_payload, customer_payload, order_payload, product_payload
from winback_demo.settings import ShopSettings

logger = logging.getLogger("winback_demo")


class Integration:
    """The shop's side of the wire: one outbox for events, one feed file for the catalog."""

    def __init__(self, settings: ShopSettings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.base_url = settings.public_url
        self.outbox: Outbox | None = None
        if settings.store_id and settings.api_key:
            self.outbox = Outbox(
                OutboxSettings(
                    base_url=settings.winback_url,
                    store_id=settings.store_id,
                    api_key=settings.api_key,
                    path=settings.outbox_path,
                    domain=f"{settings.host}:{settings.port}",
                    backoff_base=0.5,
                    backoff_cap=settings.outbox_backoff_cap,
                )
            )
        else:
            logger.warning("no winback store id and key: the shop runs unconnected")

    def close(self) -> None:
        if self.outbox is not None:
            self.outbox.flush(timeout=2)
            self.outbox.close()

    def _send(self, event_type: str, payload: dict[str, object]) -> None:
        if self.outbox is not None:
            self.outbox.send(event_type, payload)

    def publish_catalog(self) -> None:
        """Write the feed file, and send the products once per change of the catalog."""
        products = all_products(self.db)
        publish_feed(
            self.settings.feed_path,
            feed_rows(products, self.base_url, self.settings.currency),
        )
        version = _catalog_version(self.settings.store_id, products)
        if self.outbox is None or self.db.meta("products_sent") == version:
            return
        at = now_text()
        for product in products:
            self._send(
                "products/create",
                product_payload(product, self.base_url, self.settings.currency, at),
            )
        self.db.set_meta("products_sent", version)

    def customer_signed_up(self, user: User) -> None:
        self._send("customers/create", customer_payload(user))

    def cart_changed(self, cart: Cart, user: User | None) -> None:
        self._send("carts/update", cart_payload(cart, user, self.base_url, self.settings.currency))

    def order_placed(self, order: Order) -> None:
        self._send("orders/create", order_payload(order, self.base_url, self.settings.currency))


def _catalog_version(store_id: str, products: list[Product]) -> str:
    text = json.dumps([store_id, [[p.id, p.title, str(p.price), p.stock] for p in products]])
    return hashlib.sha256(text.encode()).hexdigest()
