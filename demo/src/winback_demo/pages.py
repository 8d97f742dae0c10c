"""The shop's pages: catalog, product, cart, checkout, order confirmation."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from winback_demo.carts import open_cart, set_quantity
from winback_demo.catalog import all_products, image_url, product_by_slug
from winback_demo.checkout import place_order, shipping_for
from winback_demo.discounts import DiscountError
from winback_demo.images import product_svg
from winback_demo.shop import current_cart, current_user, form_fields, render, shop_of


async def home(request: Request) -> Response:
    return render(request, "home.html", products=all_products(shop_of(request).db))


async def product_page(request: Request) -> Response:
    shop = shop_of(request)
    product = product_by_slug(shop.db, request.path_params["slug"])
    if product is None:
        raise HTTPException(404, "No such product")
    view = {
        "productId": product.id,
        "productName": product.title,
        "productCategories": product.category_path,
        "productCategoriesIds": [name.lower() for name in product.category_path],
        "productPrice": product.price,
        "productUrl": str(request.url),
        "productImage": image_url(shop.settings.public_url, product),
    }
    return render(request, "product.html", product=product, product_view=view)


async def product_image(request: Request) -> Response:
    product_id = request.path_params["product_id"]
    return Response(product_svg(product_id), media_type="image/svg+xml")


async def feed(request: Request) -> Response:
    return FileResponse(shop_of(request).settings.feed_path, media_type="text/csv")


def _changed(request: Request, cart_token: str) -> None:
    shop = shop_of(request)
    cart = current_cart(request)
    if cart is not None and cart.token == cart_token:
        shop.integration.cart_changed(cart, current_user(request))
    request.session["cart_changed"] = True


async def add_to_cart(request: Request) -> Response:
    fields = await form_fields(request)
    shop = shop_of(request)
    user = current_user(request)
    cart = open_cart(shop.db, request.session.get("cart"), user.id if user else None)
    request.session["cart"] = cart.token
    try:
        set_quantity(
            shop.db, cart.token, fields.get("product_id", ""), _int(fields, "quantity", 1), add=True
        )
    except KeyError:
        raise HTTPException(400, "No such product") from None
    _changed(request, cart.token)
    return RedirectResponse("/cart", status_code=303)


async def update_cart(request: Request) -> Response:
    fields = await form_fields(request)
    shop = shop_of(request)
    cart = current_cart(request)
    if cart is None or cart.status != "open":
        return RedirectResponse("/cart", status_code=303)
    try:
        set_quantity(
            shop.db,
            cart.token,
            fields.get("product_id", ""),
            _int(fields, "quantity", 0),
            add=False,
        )
    except KeyError:
        raise HTTPException(400, "No such product") from None
    _changed(request, cart.token)
    return RedirectResponse("/cart", status_code=303)


def _int(fields: dict[str, str], name: str, default: int) -> int:
    try:
        return int(fields.get(name, default))
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number") from None


async def cart_page(request: Request) -> Response:
    cart = current_cart(request)
    if cart is not None and cart.status != "open":
        request.session.pop("cart", None)
        cart = None
    return render(request, "cart.html", open_cart=cart)


async def restore_cart(request: Request) -> Response:
    """The abandoned-cart link: the same cart, in whatever browser opened the email."""
    shop = shop_of(request)
    token = request.path_params["token"]
    cart = open_cart(shop.db, token, None)
    request.session["cart"] = cart.token
    return RedirectResponse("/cart", status_code=303)


async def checkout(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return RedirectResponse("/login?next=/checkout", status_code=303)
    cart = current_cart(request)
    if cart is None or cart.status != "open" or not cart.lines:
        return RedirectResponse("/cart", status_code=303)
    if request.method == "GET":
        return _checkout_form(request, None, "")
    fields = await form_fields(request)
    code = fields.get("discount_code", "").strip()
    shop = shop_of(request)
    try:
        order = place_order(shop.db, user, cart.token, code or None)
    except DiscountError as error:
        return _checkout_form(request, str(error), code, status_code=400)
    shop.integration.order_placed(order)
    request.session.pop("cart", None)
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


def _checkout_form(
    request: Request, error: str | None, code: str, status_code: int = 200
) -> Response:
    cart = current_cart(request)
    assert cart is not None
    return render(
        request,
        "checkout.html",
        status_code=status_code,
        open_cart=cart,
        shipping=shipping_for(cart.subtotal),
        error=error,
        code=code,
    )


async def order_page(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    with shop_of(request).db.connect() as conn:
        order = conn.execute(
            "SELECT * FROM orders WHERE id = ? AND user_id = ?",
            (request.path_params["order_id"], user.id),
        ).fetchone()
        lines = conn.execute(
            "SELECT * FROM order_lines WHERE order_id = ?", (request.path_params["order_id"],)
        ).fetchall()
    if order is None:
        raise HTTPException(404, "No such order")
    return render(request, "order.html", order=order, lines=lines)
