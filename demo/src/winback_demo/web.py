"""The shop as an ASGI app: pages, the feed, and the store kit's `/discounts` endpoint."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from winback_storekit import DiscountsASGIApp

from winback_demo import account_pages, pages
from winback_demo.catalog import seed_products
from winback_demo.database import Database
from winback_demo.discounts import DiscountMaker, discount_codes, seed_rules
from winback_demo.integration import Integration
from winback_demo.settings import ShopSettings, load_settings
from winback_demo.shop import Shop, make_templates, shop_of


async def healthz(request: Request) -> Response:
    outbox = shop_of(request).integration.outbox
    stats = outbox.stats() if outbox else None
    return JSONResponse({"status": "ok", "outbox": stats.__dict__ if stats else None})


async def discounts_list(request: Request) -> Response:
    """The codes the shop holds: what winback asked for, and which were redeemed.

    Behind the coupons key (``?key=``), since the list names customers.
    """
    shop = shop_of(request)
    given = request.query_params.get("key", "").encode()
    if not hmac.compare_digest(given, shop.settings.coupons_key.encode()):
        return JSONResponse({"error": "send the coupons key as ?key="}, status_code=401)
    return JSONResponse({"items": discount_codes(shop.db)})


def create_app(settings: ShopSettings | None = None) -> Starlette:
    settings = settings or load_settings()
    db = Database(settings.database_path)
    seed_products(db)
    seed_rules(db)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        integration = Integration(settings, db)
        app.state.shop = Shop(settings, db, integration, make_templates())
        integration.publish_catalog()
        try:
            yield
        finally:
            integration.close()

    routes = [
        Route("/", pages.home),
        Route("/products/{slug}", pages.product_page),
        Route("/images/{product_id}.svg", pages.product_image),
        Route("/feed.csv", pages.feed),
        Route("/cart", pages.cart_page),
        Route("/cart/add", pages.add_to_cart, methods=["POST"]),
        Route("/cart/update", pages.update_cart, methods=["POST"]),
        Route("/cart/restore/{token}", pages.restore_cart),
        Route("/checkout", pages.checkout, methods=["GET", "POST"]),
        Route("/orders/{order_id:int}", pages.order_page),
        Route("/signup", account_pages.signup, methods=["GET", "POST"]),
        Route("/login", account_pages.login, methods=["GET", "POST"]),
        Route("/logout", account_pages.logout, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/admin/discounts.json", discounts_list),
        # The endpoint winback calls to create coupon codes: the store kit's ready app.
        Route(
            "/discounts",
            DiscountsASGIApp(settings.coupons_key, DiscountMaker(db)),
            methods=["POST"],
        ),
    ]
    secret = settings.session_secret or secrets.token_hex(32)
    middleware = [Middleware(SessionMiddleware, secret_key=secret, same_site="lax")]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
