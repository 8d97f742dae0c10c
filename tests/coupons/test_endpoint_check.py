"""Setting the coupon endpoint: one check call that must answer in the contract's shape."""

from __future__ import annotations

import pytest

from tests.conftest import free_port
from tests.coupons.conftest import STORE_KEY, Behaviour, Canned, Coupons, StoreSide


def test_an_endpoint_answering_in_the_contract_shape_is_kept(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, behaviour = store_side.new_endpoint()

    response = coupons.set_endpoint(url)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] == url and body["prefix"] == "WB-" and body["key_set"] is True
    # The check asks for a rule no store has: a refusal proves the endpoint speaks the contract.
    assert body["check"].startswith("the endpoint answered is_success false: no discount rule")
    assert behaviour.created == {}
    assert coupons.store.get("/api/v1/coupons/endpoint").json()["url"] == url


def refused_reason(coupons: Coupons, url: str, key: str = STORE_KEY) -> str:
    """Set the endpoint, expect the check to refuse it, and return the reason given."""
    response = coupons.set_endpoint(url, key=key)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "coupon_endpoint_unusable"
    assert key not in error["reason"]
    assert coupons.store.get("/api/v1/coupons/endpoint").json()["url"] is None
    return str(error["reason"])


@pytest.mark.parametrize(
    ("key", "status", "pointer"),
    [("not-the-key", None, "/key"), (STORE_KEY, 404, "/url"), (STORE_KEY, 500, "/url")],
)
def test_a_refusal_points_at_the_setting_to_fix(
    coupons: Coupons, store_side: StoreSide, key: str, status: int | None, pointer: str
) -> None:
    url, behaviour = store_side.new_endpoint()
    if status is not None:
        behaviour.always_answer(status, b"no")

    response = coupons.set_endpoint(url, key=key)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["pointer"] == pointer


def test_a_wrong_key_is_refused_and_nothing_is_kept(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, _ = store_side.new_endpoint()

    reason = refused_reason(coupons, url, key="not-the-key")

    # (what the store's server said follows, as a developer needs it)
    assert reason == (
        "the endpoint answered HTTP 401 Unauthorized: "
        "the store refused winback's key; check the endpoint's key"
        '; it said: {"is_success": false, "error_message": "missing or wrong remarkety_api_key"}'
    )


def test_an_html_answer_is_refused(coupons: Coupons, store_side: StoreSide) -> None:
    url, behaviour = store_side.new_endpoint()
    behaviour.mode = "html"

    assert refused_reason(coupons, url) == (
        "the endpoint answered HTTP 200 but not JSON (text/html): "
        "<html><body>Maintenance</body></html>"
    )


def test_an_endpoint_that_is_down_is_refused_as_not_reached(coupons: Coupons) -> None:
    reason = refused_reason(coupons, f"http://127.0.0.1:{free_port()}")

    assert reason.startswith("the endpoint could not be reached: network error: ")


def test_an_endpoint_that_does_not_answer_in_time_is_refused_as_not_reached(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, behaviour = store_side.new_endpoint()
    behaviour.mode = "slow"

    assert refused_reason(coupons, url).startswith("the endpoint could not be reached: timed out")


def test_a_500_is_reported_as_the_stores_server_failing_not_as_unreachable(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, behaviour = store_side.new_endpoint()
    # The kit answers 500 when the store's create_discount fails unexpectedly.
    behaviour.mode, behaviour.failures_left = "fail_first", 1

    assert refused_reason(coupons, url) == (
        "the endpoint answered HTTP 500 Internal Server Error: a failure on the store's server"
        '; it said: {"is_success": false, "error_message": "the store could not create the code"}'
    )
    assert behaviour.created == {}


NOT_FOUND = "no coupon endpoint there; check the base URL (winback adds /discounts)"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            Canned(503, b"<h1>down</h1>", {"Retry-After": "30"}),
            "the endpoint answered HTTP 503 Service Unavailable: a failure on the store's server",
        ),
        (
            Canned(403, b'{"is_success": false}', {"content-type": "application/json"}),
            "the endpoint answered HTTP 403 Forbidden: "
            "the store refused winback's key; check the endpoint's key",
        ),
        (Canned(404, b"Not Found"), f"the endpoint answered HTTP 404 Not Found: {NOT_FOUND}"),
        (
            Canned(405, b"use POST"),
            f"the endpoint answered HTTP 405 Method Not Allowed: {NOT_FOUND}",
        ),
        (
            Canned(400, b"bad"),
            "the endpoint answered HTTP 400 Bad Request: the store refused the call; "
            "check the endpoint's settings on the store's side",
        ),
        (
            Canned(429, b"slow down"),
            "the endpoint answered HTTP 429 Too Many Requests: "
            "the store asks winback to try again later",
        ),
        (
            Canned(302, b""),
            "the endpoint answered HTTP 302 Found: a redirect winback cannot follow",
        ),
        (
            Canned(204),
            "the endpoint answered HTTP 204 No Content, not the 200 the contract asks for",
        ),
        (
            Canned(200, b'{"ok": true}', {"content-type": "application/json"}),
            'the endpoint answered HTTP 200 but its JSON has no boolean is_success: {"ok": true}',
        ),
        (
            Canned(200, b"", {"content-type": "text/plain"}),
            "the endpoint answered HTTP 200 but not JSON (text/plain): (empty)",
        ),
    ],
    ids=lambda value: str(value.status) if isinstance(value, Canned) else "",
)
def test_each_status_class_is_refused_with_what_the_endpoint_answered(
    coupons: Coupons, store_side: StoreSide, answer: Canned, reason: str
) -> None:
    url, behaviour = store_side.new_endpoint()
    behaviour.always_answer(answer.status, answer.body, answer.headers)

    said = f"; it said: {answer.body.decode()}" if answer.status >= 400 and answer.body else ""
    assert refused_reason(coupons, url) == reason + said
    assert len(behaviour.calls) == 1  # the check makes one call; only issuing retries


def test_the_key_echoed_in_an_answer_is_not_shown(coupons: Coupons, store_side: StoreSide) -> None:
    url, behaviour = store_side.new_endpoint()
    echo = f"no route for /discounts?remarkety_api_key={STORE_KEY}&code=X".encode()
    behaviour.always_answer(200, echo, {"content-type": "text/plain"})

    assert refused_reason(coupons, url) == (
        "the endpoint answered HTTP 200 but not JSON (text/plain): "
        "no route for /discounts?remarkety_api_key=***&code=X"
    )


def test_the_key_echoed_in_an_error_page_is_not_shown(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, behaviour = store_side.new_endpoint()
    echo = f"<p>No route: /discounts?remarkety_api_key={STORE_KEY}</p>".encode()
    behaviour.always_answer(404, echo, {"content-type": "text/html"})

    assert refused_reason(coupons, url) == (
        f"the endpoint answered HTTP 404 Not Found: {NOT_FOUND}; "
        "it said: <p>No route: /discounts?remarkety_api_key=***</p>"
    )


def test_a_redirect_to_a_page_says_where_it_went_without_its_query(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, behaviour = store_side.new_endpoint()
    shop, home = store_side.new_endpoint()
    home.mode = "html"
    behaviour.always_answer(302, headers={"Location": f"{shop}/login?key={STORE_KEY}"})

    assert refused_reason(coupons, url) == (
        f"the endpoint redirected to {shop}/login, which answered HTTP 200 "
        "but not JSON (text/html): <html><body>Maintenance</body></html>"
    )


AFTER_A_REDIRECT = (
    "a redirect can turn winback's POST into a GET and drop the key from the query; "
    "set the endpoint's URL to where it redirects"
)


def redirecting(store_side: StoreSide, status: int) -> tuple[str, str, Behaviour]:
    """An endpoint that redirects with ``status`` to another's: its URL, where it leads
    (the other's /discounts) and the other's behaviour."""
    url, behaviour = store_side.new_endpoint()
    moved, kit = store_side.new_endpoint()
    behaviour.moved_to(status, f"{moved}/discounts")
    return url, f"{moved}/discounts", kit


def after_a_redirect(to: str, status_line: str, said: str) -> str:
    """The reason of a 4xx that a redirect to ``to`` led to."""
    answered = f"the endpoint redirected to {to}, which answered {status_line}"
    return f"{answered}: {AFTER_A_REDIRECT}{said}"


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_redirect_that_turns_the_post_into_a_get_says_so(
    coupons: Coupons, store_side: StoreSide, status: int
) -> None:
    url, moved, kit = redirecting(store_side, status)

    assert refused_reason(coupons, url) == after_a_redirect(
        moved,
        "HTTP 405 Method Not Allowed",
        '; it said: {"is_success": false, "error_message": "use POST"}',
    )
    assert kit.created == {}


def test_a_redirect_that_drops_the_key_is_not_taken_for_a_wrong_key(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, behaviour = store_side.new_endpoint()
    moved, _ = store_side.new_endpoint()
    behaviour.always_answer(307, headers={"Location": f"{moved}/discounts"})

    assert refused_reason(coupons, url) == after_a_redirect(
        f"{moved}/discounts",
        "HTTP 401 Unauthorized",
        '; it said: {"is_success": false, "error_message": "missing or wrong remarkety_api_key"}',
    )


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirect_that_keeps_the_post_and_the_query_is_followed(
    coupons: Coupons, store_side: StoreSide, status: int
) -> None:
    url, _, kit = redirecting(store_side, status)

    response = coupons.set_endpoint(url)

    assert response.status_code == 200, response.text
    assert response.json()["check"].startswith("the endpoint answered is_success false")
    assert coupons.store.get("/api/v1/coupons/endpoint").json()["url"] == url
    assert len(kit.calls) == 1


def test_a_redirect_loop_is_refused_as_such(coupons: Coupons, store_side: StoreSide) -> None:
    url, behaviour = store_side.new_endpoint()
    behaviour.always_answer(302, headers={"Location": f"{url}/discounts"})

    assert refused_reason(coupons, url) == (
        "the call to the endpoint failed: too many redirects: Exceeded maximum allowed redirects."
    )


def test_a_url_that_is_not_http_is_refused(coupons: Coupons) -> None:
    response = coupons.set_endpoint("ftp://shop.example/")

    assert response.status_code == 400
    assert response.json()["error"]["pointer"] == "/url"
