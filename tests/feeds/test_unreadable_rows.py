"""Rows that cannot be read whole: skipped and reported, and their product left as it was."""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest import MonkeyPatch
from sqlalchemy import Engine, select

from tests.feeds.conftest import feed_settings
from winback.config import Settings
from winback.feeds import FeedProduct, RowError, parse_feed, reader, xml_items
from winback.feeds.sync import SyncRequest, sync_feed
from winback.imports.table import MAX_FIELD_CHARS
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


def body_html_of(engine: Engine, store_id: str, product_id: str) -> str:
    query = select(products.c.data).where(
        products.c.store_id == store_id, products.c.external_id == product_id
    )
    with engine.connect() as conn:
        return str(conn.execute(query).scalar_one()["body_html"])


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
) -> None:
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
) -> None:
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


# -- values longer than a field may be -----------------------------------------------------

LONG_DESCRIPTION = "<p>" + "A very long description. " * 8000 + "</p>"  # 200,007 characters


@pytest.fixture
def small_field_limit() -> Iterator[int]:
    """csv's field limit lowered for a test, so a field over it is small (the limit is global)."""
    csv.field_size_limit(40)
    yield 40
    csv.field_size_limit(MAX_FIELD_CHARS)


def test_a_description_of_200000_characters_is_read_whole() -> None:
    # given a row between two others whose description is 200,000 characters long
    text = "id,title,link,price,description\n" + (
        f"P1,Mug,https://s/m,1,short\nP2,Cup,https://s/c,2,{LONG_DESCRIPTION}\nP3,Jug,https://s/j,3,\n"
    )

    # when the feed is parsed
    records, rejected = parsed(text)

    # then all three are products, the long description kept whole
    assert [r.payload.id for r in records if isinstance(r, FeedProduct)] == ["P1", "P2", "P3"]
    assert isinstance(records[1], FeedProduct)
    assert records[1].payload.body_html == LONG_DESCRIPTION
    assert rejected == []


def test_a_field_over_the_limit_is_a_rejected_row_and_the_rest_is_read() -> None:
    # given a description longer than any field may be, between two good rows
    too_long = "x" * (MAX_FIELD_CHARS + 1)
    text = "id,title,link,price,description\n" + (
        f"P1,Mug,https://s/m,1,\nP2,Cup,https://s/c,2,{too_long}\nP3,Jug,https://s/j,3,\n"
    )

    # when the feed is parsed
    records, rejected = parsed(text)

    # then that row alone is rejected, with its line and column, and its product named
    reason = f"the value is longer than {MAX_FIELD_CHARS} characters"
    assert records[1] == RowError(3, "description", reason)
    assert [(r.line, r.payload.id) for r in records if isinstance(r, FeedProduct)] == [
        (2, "P1"),
        (4, "P3"),
    ]
    assert rejected == ["P2"]


def test_a_quoted_field_over_the_limit_is_skipped_to_its_closing_quote(
    small_field_limit: int,
) -> None:
    # given a quoted description over the limit, over several lines, with commas and quotes
    long_cell = '"A <b>""big""</b> cup,\nfor tea, coffee\nand more, much more\n than 40 chars"'
    text = "id,title,link,price,description\n" + (
        f"P2,Cup,https://s/c,2,{long_cell}\nP3,Jug,https://s/j,3,ok\n"
    )

    # when the feed is parsed
    records, rejected = parsed(text)

    # then the row is rejected, and the next row is read from its own line
    reason = f"the value is longer than {small_field_limit} characters"
    assert records[0] == RowError(2, "description", reason)
    assert isinstance(records[1], FeedProduct)
    assert (records[1].line, records[1].payload.id) == (6, "P3")
    assert len(records) == 2
    assert rejected == ["P2"]


def test_an_unclosed_quote_over_the_limit_rejects_its_row_and_ends_the_feed(
    small_field_limit: int,
) -> None:
    # given a quote opened and never closed, before rows that it takes in
    text = "id,title,link,price,description\n" + (
        'P1,Mug,https://s/m,1,\nP2,Cup,https://s/c,2,"open\nP3,Jug,https://s/j,3,\nP4,Pot,https://s/p,4,\n'
    )

    # when the feed is parsed
    records, _ = parsed(text)

    # then, as csv reads it, the rest of the file is P2's description: one rejected row
    reason = f"the value is longer than {small_field_limit} characters"
    assert [type(r).__name__ for r in records] == ["FeedProduct", "RowError"]
    assert records[1] == RowError(3, "description", reason)


def test_a_row_with_a_field_over_the_limit_leaves_its_product_as_it_was(
    engine: Engine, settings: Settings, store_id: str, tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    # given P1 and P2 synced from a feed
    sync_feed(
        engine, settings, SyncRequest(store_id, "cli", source=(HEADER + RED_SHIRT + MUG).encode())
    )
    # (read in the child process, as a large feed is)
    monkeypatch.setattr(reader, "CHILD_THRESHOLD_BYTES", 0)
    path = tmp_path / "feed.csv"
    too_long = "x" * (MAX_FIELD_CHARS + 1)
    path.write_text(f"id,title,link,price\nP1,{too_long},https://acme.example/p1,1\n{MUG}")

    # when the next feed has a title over the limit in P1's row
    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=path))

    # then the row is rejected with its line and column, and P1 is left as it was
    reason = f"the value is longer than {MAX_FIELD_CHARS} characters"
    assert (run.status, run.rejected, run.unchanged, run.made_unavailable) == (
        "succeeded",
        1,
        1,
        0,
    )
    assert run.errors == [{"line": 2, "column": "title", "reason": reason}]
    assert status_of(engine, store_id, "P1") == "active"


def test_a_feed_with_a_200000_character_description_is_synced_whole(
    engine: Engine, settings: Settings, store_id: str
) -> None:
    # given a CSV feed whose second row has a 200,000-character description
    text = "id,title,link,price,description\n" + (
        f"L1,Mug,https://s/m,1,\nL2,Cup,https://s/c,2,{LONG_DESCRIPTION}\nL3,Jug,https://s/j,3,\n"
    )

    # when it is synced
    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=text.encode()))

    # then every row is applied and nothing rejected
    assert (run.status, run.created, run.rejected, run.errors) == ("succeeded", 3, 0, [])


def xml_feed(description: str) -> bytes:
    return f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>P1</g:id><g:title>Mug</g:title><g:link>https://s/m</g:link><g:price>1</g:price>
<g:description>{description}</g:description></item>
<item><g:id>P2</g:id><g:title>Cup</g:title><g:link>https://s/c</g:link><g:price>2</g:price></item>
</channel></rss>""".encode()


def test_an_xml_item_with_a_200000_character_description_is_read_whole() -> None:
    # given a Google Merchant item whose description is 200,000 characters long
    feed = xml_feed(LONG_DESCRIPTION.replace("<", "&lt;"))

    # when the feed is parsed
    records = list(parse_feed(feed))

    # then both items are products, the description kept whole
    assert [r.payload.id for r in records if isinstance(r, FeedProduct)] == ["P1", "P2"]
    assert isinstance(records[0], FeedProduct)
    assert records[0].payload.body_html == LONG_DESCRIPTION


def test_an_xml_item_with_a_field_over_the_limit_is_rejected_and_its_product_named(
    monkeypatch: MonkeyPatch,
) -> None:
    # given an item whose description is over the limit
    monkeypatch.setattr(xml_items, "MAX_FIELD_CHARS", 40)
    feed = xml_feed("x" * 41)

    # when the feed is parsed
    rejected: list[str] = []
    records = list(parse_feed(feed, on_rejected=rejected.append))

    # then that item is rejected, the next one read, and P1 named as rejected
    assert records[0] == RowError(3, "description", "the value is longer than 40 characters")
    assert [r.payload.id for r in records if isinstance(r, FeedProduct)] == ["P2"]
    assert rejected == ["P1"]


def plain_rss_feed(**fields: str) -> bytes:
    """P1 with plain RSS title, link and description (no g: version of them), then P2."""
    first = {"title": "Mug", "link": "https://s/m", "description": "A mug"} | fields
    plain = "".join(f"<{name}>{value}</{name}>" for name, value in first.items())
    return f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>P1</g:id><g:price>1</g:price>
{plain}</item>
<item><g:id>P2</g:id><g:title>Cup</g:title><g:link>https://s/c</g:link><g:price>2</g:price></item>
</channel></rss>""".encode()


@pytest.mark.parametrize("field", ["description", "title"])
def test_a_plain_rss_field_over_the_limit_is_rejected_not_cut(
    monkeypatch: MonkeyPatch, field: str
) -> None:
    # given an item whose plain RSS field (standing in for the g: one) is over the limit
    monkeypatch.setattr(xml_items, "MAX_FIELD_CHARS", 40)
    feed = plain_rss_feed(**{field: "x" * 41})

    # when the feed is parsed
    rejected: list[str] = []
    records = list(parse_feed(feed, on_rejected=rejected.append))

    # then that item is rejected as a g: field's would be, and P1 named as rejected
    assert records[0] == RowError(3, field, "the value is longer than 40 characters")
    assert [r.payload.id for r in records if isinstance(r, FeedProduct)] == ["P2"]
    assert rejected == ["P1"]


def test_an_atom_summary_over_the_limit_is_rejected_as_the_description(
    monkeypatch: MonkeyPatch,
) -> None:
    monkeypatch.setattr(xml_items, "MAX_FIELD_CHARS", 40)
    atom = f"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
<entry><g:id>P1</g:id><title>Mug</title><link href="https://s/m"/><g:price>1</g:price>
<summary>{"x" * 41}</summary></entry></feed>""".encode()

    records = list(parse_feed(atom))

    assert records == [RowError(2, "description", "the value is longer than 40 characters")]


def test_an_element_no_field_is_read_from_is_not_held_to_the_limit(
    monkeypatch: MonkeyPatch,
) -> None:
    monkeypatch.setattr(xml_items, "MAX_FIELD_CHARS", 40)

    records = list(parse_feed(plain_rss_feed(guid="x" * 41)))

    assert [r.payload.id for r in records if isinstance(r, FeedProduct)] == ["P1", "P2"]


def test_an_item_with_a_plain_description_over_the_limit_leaves_its_product_as_it_was(
    engine: Engine, settings: Settings, store_id: str, monkeypatch: MonkeyPatch
) -> None:
    # given P1 and P2 synced from an RSS feed, P1 described by a plain <description>
    monkeypatch.setattr(xml_items, "MAX_FIELD_CHARS", 40)
    sync_feed(engine, settings, SyncRequest(store_id, "cli", source=plain_rss_feed()))

    # when the next feed's description of P1 is over the limit
    longer = plain_rss_feed(description="A mug that holds a pint of tea, or of coffee")
    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=longer))

    # then the item is rejected, and P1 keeps its description rather than a cut one
    reason = "the value is longer than 40 characters"
    assert (run.status, run.rejected, run.updated, run.made_unavailable) == (
        "succeeded",
        1,
        0,
        0,
    )
    assert run.errors == [{"line": 3, "column": "description", "reason": reason}]
    assert body_html_of(engine, store_id, "P1") == "A mug"
    assert status_of(engine, store_id, "P1") == "active"
