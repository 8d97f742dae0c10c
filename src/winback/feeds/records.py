"""What a feed parse hands the apply side: a product with a digest of its content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from winback.catalog.payloads import ProductPayload


@dataclass(frozen=True, slots=True)
class FeedProduct:
    """One product (with its variants) from the feed, the line it starts on, its digest.

    The apply side stores ``digest`` and skips a product whose digest has not
    changed since the last sync: most of a daily feed is the same as yesterday.
    """

    line: int
    payload: ProductPayload
    digest: str


def content_digest(payload: ProductPayload) -> str:
    """sha256 (hex) of the payload's canonical JSON: sorted keys, money as exact strings."""
    canonical = orjson.dumps(payload.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def feed_product(line: int, payload: ProductPayload) -> FeedProduct:
    """Wrap a payload with its digest."""
    return FeedProduct(line=line, payload=payload, digest=content_digest(payload))
