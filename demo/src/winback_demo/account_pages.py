"""Sign-up, login and logout pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from winback_demo.accounts import AccountError, User, log_in, sign_up
from winback_demo.carts import open_cart
from winback_demo.shop import form_fields, render, shop_of


def _safe_next(value: str | None) -> str:
    # Only paths on this shop: a login link must not send anyone elsewhere.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


def _logged_in(request: Request, user: User, next_path: str | None) -> Response:
    request.session["user_id"] = user.id
    token = request.session.get("cart")
    if token:
        # A cart filled before logging in becomes this customer's cart.
        shop = shop_of(request)
        cart = open_cart(shop.db, str(token), user.id)
        request.session["cart"] = cart.token
        if cart.lines:
            shop.integration.cart_changed(cart, user)
    return RedirectResponse(_safe_next(next_path), status_code=303)


async def signup(request: Request) -> Response:
    if request.method == "GET":
        return render(
            request, "signup.html", error=None, fields={}, next=request.query_params.get("next")
        )
    fields = await form_fields(request)
    shop = shop_of(request)
    try:
        user = sign_up(
            shop.db,
            email=fields.get("email", ""),
            password=fields.get("password", ""),
            first_name=fields.get("first_name", ""),
            last_name=fields.get("last_name", ""),
            accepts_marketing=fields.get("accepts_marketing") == "on",
        )
    except AccountError as error:
        return render(
            request,
            "signup.html",
            status_code=400,
            error=str(error),
            fields=fields,
            next=fields.get("next"),
        )
    shop.integration.customer_signed_up(user)
    return _logged_in(request, user, fields.get("next"))


async def login(request: Request) -> Response:
    if request.method == "GET":
        return render(
            request, "login.html", error=None, email="", next=request.query_params.get("next")
        )
    fields = await form_fields(request)
    try:
        user = log_in(
            shop_of(request).db, email=fields.get("email", ""), password=fields.get("password", "")
        )
    except AccountError as error:
        return render(
            request,
            "login.html",
            status_code=400,
            error=str(error),
            email=fields.get("email", ""),
            next=fields.get("next"),
        )
    return _logged_in(request, user, fields.get("next"))


async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)
