"""Setting the coupon endpoint: one check call that must answer in the contract's shape."""

from __future__ import annotations

from tests.conftest import free_port
from tests.coupons.conftest import STORE_KEY, Coupons, StoreSide


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


def assert_refused(coupons: Coupons, url: str, key: str, reason_part: str) -> None:
    response = coupons.set_endpoint(url, key=key)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "coupon_endpoint_unusable"
    assert reason_part in error["reason"]
    assert key not in error["reason"]
    assert coupons.store.get("/api/v1/coupons/endpoint").json()["url"] is None


def test_a_wrong_key_is_refused_and_nothing_is_kept(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, _ = store_side.new_endpoint()

    assert_refused(coupons, url, "not-the-key", "refused winback's key")


def test_an_html_answer_is_refused(coupons: Coupons, store_side: StoreSide) -> None:
    url, behaviour = store_side.new_endpoint()
    behaviour.mode = "html"

    assert_refused(coupons, url, STORE_KEY, "not JSON (text/html): <html><body>Maintenance")


def test_an_endpoint_that_is_down_is_refused(coupons: Coupons) -> None:
    assert_refused(coupons, f"http://127.0.0.1:{free_port()}", STORE_KEY, "could not be reached")


def test_a_url_that_is_not_http_is_refused(coupons: Coupons) -> None:
    response = coupons.set_endpoint("ftp://shop.example/")

    assert response.status_code == 400
    assert response.json()["error"]["pointer"] == "/url"
