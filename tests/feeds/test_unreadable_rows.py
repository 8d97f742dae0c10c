"""Rows that cannot be read whole: skipped and reported, and their product left as it was."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.feeds.conftest import feed_settings
from winback.config import Settings
from winback.feeds import FeedProduct, RowError, parse_feed
from winback.feeds.sync import SyncRequest, sync_feed
from winback.storage.schema import products
from winback.stores.service import create_store

HEADER = "id,title,link,price\n"
RED_SHIRT = "P1,Red Shirt,https://acme.example/p1,129.90 USD\n"
MUG = "P2,Mug,https://acme.example/p2,9.90 USD\n"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return feed_settings(database_url, tmp_path)


@pytest.fixture
def store_id(engine: Engine) -> str:
    created, _ = create_store(engine, name="Unreadable rows " + secrets.token_hex(3))
    return created.id


def status_of(engine: Engine, store_id: str, product_id: str) -> str:
    query = select(products.c.status).where(
        products.c.store_id == store_id, products.c.external_id == product_id
    )
    with engine.connect() as conn:
        return str(conn.execute(query).scalar_one())


def parsed(text: str) -> tuple[list[FeedProduct | RowError], list[str]]:
    """The records of a feed and the product ids heard as rejected."""
    rejected: list[str] = []
    records = list(parse_feed(text.encode(), on_rejected=rejected.append))
    return records, rejected


def test_a_row_with_a_field_too_many_names_its_product_as_rejected() -> None:
    # given a price written with a decimal comma, unquoted: one field too many
    text = HEADER + "P1,Red Shirt,https://acme.example/p1,129,90 USD\n" + MUG

    # when the feed is parsed
    records, rejected = parsed(text)

    # then the row is reported and skipped, and its id is heard as rejected
    assert records[0] == RowError(2, None, "the row has 5 fields but the header has 4")
    assert [r.payload.id for r in records if isinstance(r, FeedProduct)] == ["P2"]
    assert rejected == ["P1"]


def test_a_variant_row_with_a_field_missing_names_its_group_and_its_own_id() -> None:
    # given a variant row cut short after its group's id
    text = "id,item_group_id,title,link,price\nS-RED,SHIRT,Shirt red\n"

    # when the feed is parsed
    records, rejected = parsed(text)

    # then both ids it holds are heard, since which one names a product is unknown
    assert records == [RowError(2, None, "the row has 3 fields but the header has 5")]
    assert rejected == ["SHIRT", "S-RED"]


def test_a_row_with_the_wrong_number_of_fields_leaves_its_product_as_it_was(
    engine: Engine, settings: Settings, store_id: str
):
    # given P1 and P2 synced from a feed
    sync_feed(
        engine, settings, SyncRequest(store_id, "cli", source=(HEADER + RED_SHIRT + MUG).encode())
    )
    bad_row = "P1,Red Shirt,https://acme.example/p1,129,90 USD\n"

    # when the next feed has P1's row with five fields
    run = sync_feed(
        engine, settings, SyncRequest(store_id, "cli", source=(HEADER + bad_row + MUG).encode())
    )

    # then the row is rejected, and P1 is neither changed nor made unavailable
    assert (run.status, run.rejected, run.unchanged, run.made_unavailable) == (
        "succeeded",
        1,
        1,
        0,
    )
    assert run.errors == [
        {"line": 2, "column": None, "reason": "the row has 5 fields but the header has 4"}
    ]
    assert status_of(engine, store_id, "P1") == "active"


def test_a_product_whose_row_is_gone_still_becomes_unavailable(
    engine: Engine, settings: Settings, store_id: str
):
    # given P1 and P2 synced from a feed
    sync_feed(
        engine, settings, SyncRequest(store_id, "cli", source=(HEADER + RED_SHIRT + MUG).encode())
    )

    # when the next feed lists P2 and a row of the wrong shape that names no product
    short_row = "just some text\n"
    run = sync_feed(
        engine, settings, SyncRequest(store_id, "cli", source=(HEADER + short_row + MUG).encode())
    )

    # then P1, which is really gone, becomes unavailable
    assert (run.rejected, run.made_unavailable) == (1, 1)
    assert status_of(engine, store_id, "P1") == "unavailable"
