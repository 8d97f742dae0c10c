"""The cart payload: what an order is, plus the cart's own fields (integration.md 1, "Cart")."""

from __future__ import annotations

from decimal import Decimal

from winback.fields import OptionalFlag
from winback.orders.payloads import Purchase, lines_total


class CartPayload(Purchase):
    accepts_marketing: OptionalFlag = None
    abandoned_checkout_url: str | None = None
    cart_token: str | None = None

    def computed_total(self) -> Decimal | None:
        """``total_price``, or the sum of the lines when a sender leaves it out (none
        for a cart without lines)."""
        if self.total_price is not None or not self.line_items:
            return self.total_price
        return lines_total(self.line_items)
