"""The reader process's share of describing changed products."""

from __future__ import annotations

import secrets
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.feeds.conftest import feed_settings
from winback.feeds import FeedProduct, RowError, describe, parse_feed
from winback.feeds.describe import Describer, Share
from winback.feeds.records import DescribedProduct, ReadRecord, UnchangedProduct
from winback.feeds.sync import SyncRequest, sync_feed
from winback.stores.service import create_store

ROWS = 10
FEED = "id,title,link,price\n" + "".join(
    f"P{n},Pot {n},https://shop.example/p{n},{n}.50 USD\n" for n in range(ROWS)
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(time, "monotonic", clock)  # the clock winback.feeds.describe reads
    return clock


def test_the_share_grows_by_the_time_spent_waiting_to_write(clock: Clock) -> None:
    share = Share(0.5)

    clock.now += 2.0
    share.heard_write(0.5)  # a quarter of the window waiting

    assert share.value == pytest.approx(0.5 + describe.GAIN * (0.25 - describe.TARGET_WAITING))


def test_the_share_shrinks_while_the_reader_never_waits_and_stays_within_bounds(
    clock: Clock,
) -> None:
    share = Share(0.1)
    values = []
    for _ in range(3):
        clock.now += 1.0
        share.heard_write(0.0)
        values.append(share.value)

    clock.now += 1.0
    share.heard_write(1.0)  # waiting the whole window, then some more
    clock.now += 1.0
    share.heard_write(5.0)

    assert values == pytest.approx([0.05, 0.0, 0.0])
    assert share.value == 1.0


def test_the_share_moves_once_a_window(clock: Clock) -> None:
    share = Share(0.5)

    clock.now += describe.WINDOW_SECONDS / 4
    share.heard_write(0.2)
    clock.now += describe.WINDOW_SECONDS / 4
    share.heard_write(0.0)

    assert share.value == 0.5


def _products(feed: str) -> list[FeedProduct]:
    return [record for record in parse_feed(feed.encode()) if isinstance(record, FeedProduct)]


def _new_store(engine: Engine) -> str:
    created, _ = create_store(engine, name="Describe store " + secrets.token_hex(3))
    return created.id


def _kinds(records: list[ReadRecord]) -> list[str]:
    return [type(record).__name__ for record in records]


def test_a_share_of_the_changed_products_is_described(engine: Engine) -> None:
    store_id = _new_store(engine)
    products = _products(FEED)

    every = Describer(engine, store_id).prepare(products, 1.0)
    half = Describer(engine, store_id).prepare(products, 0.5)
    none = Describer(engine, store_id).prepare(products, 0.0)

    assert _kinds(every) == ["DescribedProduct"] * ROWS
    assert _kinds(half) == ["FeedProduct", "DescribedProduct"] * (ROWS // 2)
    assert none == products
    first = every[0]
    assert isinstance(first, DescribedProduct)
    assert (first.line, first.id) == (2, "P0")
    assert (first.description.title, first.description.price) == ("Pot 0", Decimal("0.50"))
    assert first.description.content_digest == products[0].digest


def test_stored_unchanged_products_go_on_as_their_id_alone(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    store_id = _new_store(engine)
    settings = feed_settings(database_url, tmp_path)
    sync_feed(engine, settings, SyncRequest(store_id, "cli", source=FEED.encode()))
    changed_feed = FEED.replace("Pot 3,", "Big pot 3,")

    prepared = Describer(engine, store_id).prepare(_products(changed_feed), 1.0)

    assert [(type(r).__name__, r.id) for r in prepared if not isinstance(r, RowError)] == [
        ("DescribedProduct" if n == 3 else "UnchangedProduct", f"P{n}") for n in range(ROWS)
    ]
    assert prepared[4] == UnchangedProduct(line=6, id="P4")


def test_row_errors_keep_their_place_and_a_refused_payload_is_left_for_the_applying_side(
    engine: Engine,
) -> None:
    # The feed's cell checks refuse what the payload would; a record made past them
    # (a price over the payload's amount bound) stands for a payload that is refused.
    feed = FEED + "HUGE,Gold pot,https://shop.example/gold,1 USD\nBAD,Pot\n"
    records = list(parse_feed(feed.encode()))
    huge = records[ROWS]
    assert isinstance(huge, FeedProduct)
    too_much = huge.items[0]._replace(price=Decimal(10**14))
    records[ROWS] = FeedProduct(huge.line, huge.group_id, [too_much])

    prepared = Describer(engine, _new_store(engine)).prepare(records, 1.0)

    assert _kinds(prepared) == ["DescribedProduct"] * ROWS + ["FeedProduct", "RowError"]
    assert prepared[ROWS] is records[ROWS]
