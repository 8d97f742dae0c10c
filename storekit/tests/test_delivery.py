"""How winback's answers are read and how long to wait before trying again."""

from __future__ import annotations

import datetime as dt
import random

import httpx
import pytest

from winback_storekit.delivery import (
    Delivered,
    Rejected,
    RetryLater,
    backoff_delay,
    classify_response,
    parse_retry_after,
    webhook_url,
)


@pytest.mark.parametrize(
    ("status", "headers", "outcome"),
    [
        (200, {}, Delivered(200)),
        (202, {}, Delivered(202)),
        (400, {}, Rejected("HTTP 400: body")),
        (401, {}, Rejected("HTTP 401: body")),
        (404, {}, Rejected("HTTP 404: body")),
        (413, {}, Rejected("HTTP 413: body")),
        (408, {}, RetryLater("HTTP 408: body")),
        (429, {"Retry-After": "7"}, RetryLater("HTTP 429: body", 7.0)),
        (429, {}, RetryLater("HTTP 429: body")),
        (500, {"Retry-After": "7"}, RetryLater("HTTP 500: body")),
        (503, {"Retry-After": "3"}, RetryLater("HTTP 503: body", 3.0)),
        (302, {}, RetryLater("HTTP 302: body")),
    ],
)
def test_an_answer_is_delivered_retried_or_rejected_by_its_status(
    status: int, headers: dict[str, str], outcome: object
) -> None:
    assert classify_response(httpx.Response(status, headers=headers, text="body")) == outcome


def test_retry_after_may_be_seconds_or_an_http_date() -> None:
    now = dt.datetime(2024, 5, 1, 10, 0, 0, tzinfo=dt.UTC)

    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 01 May 2024 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 09:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_backoff_grows_exponentially_with_full_jitter_and_stays_under_the_cap() -> None:
    rng = random.Random(7)

    third = [backoff_delay(3, base=1.0, cap=600.0, rng=rng) for _ in range(500)]
    late = [backoff_delay(40, base=1.0, cap=600.0, rng=rng) for _ in range(500)]

    assert 0 <= min(third) < 0.5 and 3.5 < max(third) <= 4.0
    assert max(late) <= 600.0 and max(late) > 500.0


def test_the_webhook_url_follows_the_contract_and_escapes_the_store_id() -> None:
    assert (
        webhook_url("https://wb.example/", "shop-1") == "https://wb.example/webhooks/store/shop-1"
    )
    assert webhook_url("https://wb.example", "a/b") == "https://wb.example/webhooks/store/a%2Fb"
