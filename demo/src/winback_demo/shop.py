"""What every request handler needs: settings, database, integration, templates, the session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from winback_demo.accounts import User, user_by_id
from winback_demo.carts import Cart, get_cart
from winback_demo.database import Database
from winback_demo.integration import Integration
from winback_demo.payloads import cart_payload
from winback_demo.settings import ShopSettings

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Shop:
    settings: ShopSettings
    db: Database
    integration: Integration
    templates: Jinja2Templates


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    # Prices are Decimals: the snippet's JSON carries them as exact strings.
    templates.env.policies["json.dumps_kwargs"] = {"default": str, "sort_keys": True}
    return templates


def shop_of(request: Request) -> Shop:
    shop: Shop = request.app.state.shop
    return shop


def current_user(request: Request) -> User | None:
    user_id = request.session.get("user_id")
    return user_by_id(shop_of(request).db, int(user_id)) if user_id else None


def current_cart(request: Request) -> Cart | None:
    token = request.session.get("cart")
    return get_cart(shop_of(request).db, str(token)) if token else None


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the shop's forms post nothing else)."""
    body = (await request.body()).decode("utf-8", "replace")
    return {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page with what the layout needs: the user, the cart, and the tracking snippet's data."""
    shop = shop_of(request)
    user = current_user(request)
    cart = current_cart(request)
    # After a change the page tells track.js about the cart, as the contract's snippet does.
    changed = request.session.pop("cart_changed", False)
    tracked_cart = (
        cart_payload(cart, user, shop.settings.public_url, shop.settings.currency)
        if changed and cart is not None
        else None
    )
    base = {
        "user": user,
        "cart": cart,
        "store_id": shop.settings.store_id,
        "winback_url": shop.settings.winback_url,
        "tracked_cart": tracked_cart,
        "currency": shop.settings.currency,
    }
    return shop.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
