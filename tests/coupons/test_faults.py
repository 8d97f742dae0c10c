"""Each way the store's endpoint can fail ends as a recorded failure with its reason,
never as a created code; temporary failures are retried, within a bounded time."""

from __future__ import annotations

import itertools
import time
from typing import Any

from sqlalchemy import Engine

from tests.conftest import StoreClient, free_port
from tests.coupons.conftest import TIMEOUT, Behaviour, Coupons, StoreSide
from winback.coupons.service import SETTINGS_KEY
from winback.stores.service import get_store, update_settings


def issue_and_expect_failure(coupons: Coupons, reason_part: str) -> dict[str, Any]:
    response = coupons.issue(rule_id="TEN_OFF", email="ada@example.com")

    assert response.status_code == 502, response.text
    body = response.json()
    assert body["error"]["code"] == "coupon_not_created"
    coupon = body["coupon"]
    assert coupon["status"] == "failed"
    assert reason_part in coupon["error"]
    assert body["error"]["reason"] == coupon["error"]
    assert coupons.list() == [coupon]
    assert coupons.list(status="created") == []
    return coupon  # type: ignore[no-any-return]


def test_a_refusal_is_recorded_with_the_stores_message(
    coupons: Coupons, connected: Behaviour
) -> None:
    response = coupons.issue(rule_id="NO_SUCH_RULE")

    coupon = response.json()["coupon"]
    assert response.status_code == 502
    assert (coupon["status"], coupon["error"], coupon["attempts"]) == (
        "failed",
        "no discount rule NO_SUCH_RULE",
        1,
    )


def test_a_401_is_recorded_as_a_refused_key_and_not_retried(
    coupons: Coupons, connected: Behaviour
) -> None:
    connected.mode = "wrong_key"

    coupon = issue_and_expect_failure(coupons, "refused winback's key")

    assert coupon["attempts"] == 1
    assert coupon["error"] == (
        "the endpoint answered HTTP 401 Unauthorized: "
        "the store refused winback's key; check the endpoint's key"
        '; it said: {"is_success": false, "error_message": "missing or wrong remarkety_api_key"}'
    )


def test_an_html_answer_is_recorded_as_not_json(coupons: Coupons, connected: Behaviour) -> None:
    connected.mode = "html"

    coupon = issue_and_expect_failure(coupons, "not JSON (text/html)")

    assert coupon["attempts"] == 1


def test_a_slow_store_is_retried_then_recorded_as_timed_out(
    coupons: Coupons, connected: Behaviour
) -> None:
    connected.mode = "slow"
    started = time.monotonic()

    coupon = issue_and_expect_failure(coupons, "timed out")

    # Bounded: three timeouts' worth of retrying, plus the attempt under way.
    assert time.monotonic() - started < 3 * TIMEOUT + TIMEOUT + 2
    assert coupon["attempts"] >= 2
    assert coupon["error"].startswith(f"gave up after {coupon['attempts']} attempts")


def test_a_store_that_is_down_is_retried_then_recorded(
    coupons: Coupons, connected: Behaviour, engine: Engine, store: StoreClient
) -> None:
    saved = dict(get_store(engine, store.store_id).settings[SETTINGS_KEY])
    saved["url"] = f"http://127.0.0.1:{free_port()}"
    update_settings(engine, store.store_id, {SETTINGS_KEY: saved})

    coupon = issue_and_expect_failure(coupons, "network error")

    assert coupon["attempts"] >= 2
    assert coupon["error"].startswith(
        f"gave up after {coupon['attempts']} attempts in 3s: "
        "the endpoint could not be reached: network error: "
    )


def test_5xx_answers_are_retried_with_backoff_until_the_code_is_created(
    coupons: Coupons, connected: Behaviour
) -> None:
    connected.mode = "fail_first"
    connected.failures_left = 2

    response = coupons.issue(rule_id="TEN_OFF")

    assert response.status_code == 201, response.text
    coupon = response.json()
    assert (coupon["status"], coupon["attempts"], coupon["error"]) == ("created", 3, None)
    assert list(connected.created) == [coupon["code"]]
    attempts = connected.calls[1:]  # the first call was the endpoint check
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert len(gaps) == 2 and all(gap < 5 for gap in gaps)


def test_an_endpoint_that_never_recovers_from_5xx_is_recorded_as_failed(
    coupons: Coupons, connected: Behaviour
) -> None:
    connected.mode = "fail_first"
    connected.failures_left = 1000

    coupon = issue_and_expect_failure(coupons, "500")

    assert connected.created == {}
    assert coupon["attempts"] >= 2
    assert coupon["error"] == (
        f"gave up after {coupon['attempts']} attempts in 3s: "
        "the endpoint answered HTTP 500 Internal Server Error: a failure on the store's server"
        '; it said: {"is_success": false, "error_message": "the store could not create the code"}'
    )


def test_a_4xx_is_recorded_with_what_it_means_and_not_retried(
    coupons: Coupons, connected: Behaviour
) -> None:
    connected.always_answer(404, b"Not Found")

    coupon = issue_and_expect_failure(coupons, "404")

    assert coupon["error"] == (
        "the endpoint answered HTTP 404 Not Found: "
        "no coupon endpoint there; check the base URL (winback adds /discounts); it said: Not Found"
    )
    assert coupon["attempts"] == 1


def test_a_redirect_is_recorded_with_where_it_went(
    coupons: Coupons, connected: Behaviour, store_side: StoreSide
) -> None:
    shop, home = store_side.new_endpoint()
    home.mode = "html"
    connected.always_answer(302, headers={"Location": f"{shop}/"})

    coupon = issue_and_expect_failure(coupons, "redirected")

    assert coupon["error"] == (
        f"the endpoint redirected to {shop}/, which answered HTTP 200 "
        "but not JSON (text/html): <html><body>Maintenance</body></html>"
    )
    assert coupon["attempts"] == 1
