"""A cart's restore link and token: kept from the latest version that sent them,
in any order of delivery, and taken by an erasure of the shopper with the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from tests.apply.histories import deliver, fresh_store
from winback.storage.schema import carts, raw_events

START = datetime(2026, 11, 1, 10, tzinfo=UTC)


def _version(minute: int, **sent: Any) -> tuple[str, dict[str, Any], datetime]:
    at = START + timedelta(minutes=minute)
    body = {"id": "k1", "updated_at": at.isoformat(), "customer": {"id": "c1"}} | sent
    return ("carts/update", body, at)


def _stored(engine: Engine, store_id: str) -> tuple[str | None, dict[str, Any]]:
    with engine.connect() as conn:
        row = conn.execute(
            select(carts.c.abandoned_checkout_url, carts.c.data).where(carts.c.store_id == store_id)
        ).one()
    return row.abandoned_checkout_url, row.data


def test_a_cart_stored_before_sent_times_were_kept_keeps_its_link_from_an_older_one(
    engine: Engine,
) -> None:
    # given a cart whose newest version's link was stored without the time it was sent
    store_id = fresh_store(engine)
    deliver(engine, store_id, [_version(10, abandoned_checkout_url="https://shop.example/new")])
    with engine.begin() as conn:
        conn.execute(update(carts).where(carts.c.store_id == store_id).values(data={}))

    # when an older version with another link arrives late
    deliver(engine, store_id, [_version(1, abandoned_checkout_url="https://shop.example/old")])

    # then the stored link stands: it came with the newer version
    assert _stored(engine, store_id)[0] == "https://shop.example/new"


def test_a_senders_field_named_like_the_carts_bookkeeping_is_not_kept(engine: Engine) -> None:
    # given a cart sent with a field of the sender's named as winback's bookkeeping
    store_id = fresh_store(engine)
    sent = _version(1, cart_token="t1", _sent_at={"cart_token": 10**15}, _note="x")

    # when it and an older version with another token are applied
    deliver(engine, store_id, [sent, _version(0, cart_token="t0")])

    # then both were applied or found stale, none failed, and the sender's field is not kept
    with engine.connect() as conn:
        outcomes = conn.execute(
            select(raw_events.c.outcome).where(raw_events.c.store_id == store_id)
        ).scalars()
        assert sorted(outcomes) == ["applied", "stale"]
    data = _stored(engine, store_id)[1]
    assert data["cart_token"] == "t1"
    assert "_note" not in data and data["_sent_at"] != {"cart_token": 10**15}


@pytest.mark.parametrize(
    "order", [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
)
def test_an_erasure_takes_the_link_sent_before_it_in_any_order(
    engine: Engine, order: tuple[int, int, int]
) -> None:
    # given a cart version with a link, the shopper's erasure after it, and a newer
    # version without a link (a shopper of the same id, back after the erasure)
    deliveries = [
        _version(1, abandoned_checkout_url="https://shop.example/1", cart_token="t1"),
        ("customers/delete", {"id": "c1"}, START + timedelta(minutes=5)),
        _version(10),
    ]
    store_id = fresh_store(engine)

    # when they arrive in any order
    deliver(engine, store_id, [deliveries[i] for i in order], batch_size=1)

    # then the cart that stays has neither the link nor the token of before the erasure
    url, data = _stored(engine, store_id)
    assert url is None
    assert "cart_token" not in data
