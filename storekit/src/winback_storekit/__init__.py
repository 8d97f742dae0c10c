"""winback_storekit: what an online store runs on its side to integrate with winback.

- `Outbox`: send store events durably, delivered in the background with retries;
- `write_csv_feed`, `write_rss_feed`, `publish_feed`: the product feed winback fetches;
- `DiscountsASGIApp`, `DiscountsWSGIApp`, `answer_discount_request`: the `/discounts`
  endpoint winback calls to create personalised coupon codes.
"""

from winback_storekit.discount_apps import DiscountsASGIApp, DiscountsWSGIApp
from winback_storekit.discounts import (
    DiscountAnswer,
    DiscountRejected,
    DiscountRequest,
    answer_discount_request,
)
from winback_storekit.feed import (
    FeedProduct,
    format_price,
    publish_feed,
    write_csv_feed,
    write_rss_feed,
)
from winback_storekit.outbox import Outbox, OutboxSettings
from winback_storekit.outbox_store import OutboxEvent, OutboxStats

__all__ = [
    "DiscountAnswer",
    "DiscountRejected",
    "DiscountRequest",
    "DiscountsASGIApp",
    "DiscountsWSGIApp",
    "FeedProduct",
    "Outbox",
    "OutboxEvent",
    "OutboxSettings",
    "OutboxStats",
    "answer_discount_request",
    "format_price",
    "publish_feed",
    "write_csv_feed",
    "write_rss_feed",
]
