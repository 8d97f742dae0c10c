"""Issuing codes over real HTTP against a real store-side `/discounts` endpoint."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.conftest import StoreClient
from tests.coupons.conftest import STORE_KEY, Behaviour, Coupons, StoreSide
from winback.coupons.codes import ALPHABET

CODE = re.compile(rf"^WB-[{ALPHABET}]{{10}}$")


def test_a_code_is_created_by_the_store_and_recorded(
    coupons: Coupons, connected: Behaviour
) -> None:
    before = datetime.now(UTC)

    response = coupons.issue(rule_id="TEN_OFF", email="Ada@Example.com", expires_in="7d")

    assert response.status_code == 201, response.text
    coupon = response.json()
    assert CODE.match(coupon["code"])
    assert coupon["status"] == "created"
    assert coupon["error"] is None
    assert coupon["attempts"] == 1
    assert coupon["email"] == "ada@example.com"
    expires_at = datetime.fromisoformat(coupon["expires_at"])
    assert before + timedelta(days=7) <= expires_at <= datetime.now(UTC) + timedelta(days=7)
    made = connected.created[coupon["code"]]
    assert (made.rule_id, made.email, made.expiration) == ("TEN_OFF", "ada@example.com", expires_at)
    assert coupons.list() == [coupon]


def test_codes_are_never_reused_and_use_only_unambiguous_characters(
    coupons: Coupons, connected: Behaviour
) -> None:
    codes = [coupons.issue(rule_id="TEN_OFF").json()["code"] for _ in range(20)]

    assert len(set(codes)) == 20
    assert all(CODE.match(code) for code in codes)
    assert not set("".join(code[3:] for code in codes)) & set("0O1IL")
    assert set(connected.created) == set(codes)


def test_the_prefix_is_configurable(coupons: Coupons, store_side: StoreSide) -> None:
    url, behaviour = store_side.new_endpoint()
    assert coupons.set_endpoint(url, prefix="spring-").status_code == 200

    code = coupons.issue(rule_id="FREE_SHIPPING").json()["code"]

    assert re.match(rf"^SPRING-[{ALPHABET}]{{10}}$", code)
    assert code in behaviour.created


def test_the_list_filters_by_email_and_status(coupons: Coupons, connected: Behaviour) -> None:
    ada = coupons.issue(rule_id="TEN_OFF", email="ada@example.com").json()
    bo = coupons.issue(rule_id="TEN_OFF", email="bo@example.com").json()
    refused = coupons.issue(rule_id="NO_SUCH_RULE", email="ada@example.com").json()["coupon"]

    assert [c["code"] for c in coupons.list(email="ADA@example.com")] == [
        refused["code"],
        ada["code"],
    ]
    assert [c["code"] for c in coupons.list(status="created")] == [bo["code"], ada["code"]]
    assert [c["code"] for c in coupons.list(status="failed")] == [refused["code"]]
    assert coupons.list(email="bo@example.com", status="failed") == []


def test_the_list_finds_a_recipient_in_any_spelling_the_store_used(
    coupons: Coupons, connected: Behaviour
) -> None:
    issued = coupons.issue(rule_id="TEN_OFF", email="jose\u0301@b\u00fccher.example").json()

    for spelling in ("jose\u0301@xn--bcher-kva.example", "JOS\u00c9@B\u00dcCHER.example"):
        assert [c["code"] for c in coupons.list(email=spelling)] == [issued["code"]], spelling


def test_the_list_pages_with_a_cursor(coupons: Coupons, connected: Behaviour) -> None:
    codes = [coupons.issue(rule_id="TEN_OFF").json()["code"] for _ in range(3)]

    first = coupons.store.get("/api/v1/coupons", limit=2).json()
    second = coupons.store.get("/api/v1/coupons", limit=2, cursor=first["next_cursor"]).json()

    assert [c["code"] for c in first["items"] + second["items"]] == codes[::-1]
    assert second["next_cursor"] is None


def test_a_bad_request_is_refused_before_any_code_is_made(
    coupons: Coupons, connected: Behaviour
) -> None:
    cases = [
        ({"rule_id": "TEN_OFF", "email": "not-an-address"}, "/email"),
        ({"rule_id": "TEN_OFF", "expires_in": "soon"}, "/expires_in"),
        ({"rule_id": "TEN_OFF", "expires_at": "2020-01-01T00:00:00Z"}, "/expires_at"),
        # (past the year 9999 once in UTC)
        ({"rule_id": "TEN_OFF", "expires_at": "9999-12-31T23:00:00-05:00"}, "/expires_at"),
        ({"email": "ada@example.com"}, "/rule_id"),
    ]
    for body, pointer in cases:
        response = coupons.issue(**body)
        assert response.status_code == 400, body
        assert response.json()["error"]["pointer"] == pointer

    assert coupons.list() == []
    assert connected.calls == [connected.calls[0]]  # only the endpoint check


def test_issuing_needs_an_endpoint(coupons: Coupons) -> None:
    response = coupons.issue(rule_id="TEN_OFF")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "coupon_endpoint_missing"
    assert coupons.list() == []


def test_the_key_is_never_shown(coupons: Coupons, connected: Behaviour, store: StoreClient) -> None:
    shown = coupons.store.get("/api/v1/coupons/endpoint").json()

    assert shown["key_set"] is True
    assert STORE_KEY not in str(shown)
    assert coupons.store.get("/api/v1/coupons/endpoint").status_code == 200
    coupon = coupons.issue(rule_id="NO_SUCH_RULE").json()
    assert STORE_KEY not in str(coupon)


def test_an_email_filter_sent_empty_is_refused_not_taken_for_no_filter(coupons: Coupons) -> None:
    response = coupons.store.get("/api/v1/coupons", email=" ")

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["parameter"], error["reason"]) == (
        "email",
        "must not be empty (leave the parameter out instead)",
    )
