"""``sync_feed`` called directly (as the CLI and the queue do), and the ``winback feed`` command."""

from __future__ import annotations

import gzip
import json
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from typer.testing import CliRunner

from tests.feeds.conftest import feed_settings
from winback.cli import app as cli
from winback.config import Settings
from winback.feeds import FeedError, RowError, reader
from winback.feeds.sync import SyncRequest, sync_feed
from winback.storage import feeds as feed_storage
from winback.storage.feeds import sync_lock
from winback.storage.schema import feed_runs, products
from winback.stores.service import create_store

ROWS = "".join(f"P{n},Pot {n},https://shop.example/p{n},{n}.50 USD\n" for n in range(1, 301))
FEED = ("id,title,link,price\n" + ROWS).encode()
PRICE_SHAPES = "'129.90 USD' or '129.90'"
SAVE_AS_UTF8 = "a CSV or TSV feed must be UTF-8: export or save the feed as UTF-8"
COUNTS = ("rows_read", "created", "updated", "unchanged", "made_unavailable", "rejected")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return feed_settings(database_url, tmp_path)


@pytest.fixture
def store_id(engine: Engine) -> str:
    created, _ = create_store(engine, name="Service store " + secrets.token_hex(3))
    return created.id


def product_count(engine: Engine, store_id: str) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(products).where(products.c.store_id == store_id)
        return int(conn.execute(query).scalar_one())


def test_a_feed_file_is_synced_in_batches_and_a_second_time_left_unchanged(
    engine: Engine, settings: Settings, store_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "feed.csv.gz"
    path.write_bytes(gzip.compress(FEED))

    first = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=path))
    second = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=path))

    assert (first.status, first.rows_read, first.created) == ("succeeded", 300, 300)
    assert (second.status, second.created, second.updated, second.unchanged) == (
        "succeeded",
        0,
        0,
        300,
    )
    assert product_count(engine, store_id) == 300


def test_a_nul_byte_near_the_end_fails_the_feed_before_anything_is_applied(
    engine: Engine, settings: Settings, store_id: str
) -> None:
    broken = FEED + b"P999,Pot\x00,https://shop.example/p999,1\n"

    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=broken))

    assert run.status == "failed"
    assert run.reason == "line 302 cannot be read: it contains a NUL byte"
    assert product_count(engine, store_id) == 0


def test_bad_utf8_fails_the_feed_before_anything_is_applied(
    engine: Engine, settings: Settings, store_id: str
) -> None:
    # Past the first 64 KiB, which are checked when the feed is opened.
    rows = "".join(f"Q{n},Pan {n},https://shop.example/q{n},1\n" for n in range(3000))
    broken = FEED + rows.encode() + "P999,Pot\u00e9,https://s/p,1\n".encode("latin-1")

    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=broken))

    assert run.status == "failed"
    assert run.reason is not None
    assert run.reason.startswith("the feed is not valid UTF-8 text after line")
    assert f"; {SAVE_AS_UTF8}" in run.reason
    assert product_count(engine, store_id) == 0


def test_a_feed_that_is_not_utf8_fails_saying_what_the_store_can_do(
    engine: Engine, settings: Settings, store_id: str
) -> None:
    # given a feed exported in Latin-1
    latin1 = "id,title,link,price\nP1,Crème,https://s/c,1\n".encode("latin-1")

    # when it is synced
    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=latin1))

    # then the run says to save it as UTF-8, not to name an encoding (a feed has no option)
    assert (run.status, run.reason) == (
        "failed",
        f"the file is not valid UTF-8 text (byte 0xe8 at offset 25); {SAVE_AS_UTF8}",
    )
    assert product_count(engine, store_id) == 0


def test_a_local_html_file_is_refused_as_a_file(
    engine: Engine, settings: Settings, store_id: str, tmp_path: Path
) -> None:
    page = tmp_path / "feed.csv"
    page.write_bytes(b"<!DOCTYPE html><html><body>Log in</body></html>")

    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=page))

    assert (run.status, run.reason) == ("failed", "the file is an HTML page, not a feed")


def test_a_missing_file_fails_the_run(engine: Engine, settings: Settings, store_id: str) -> None:
    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=Path("/nonexistent")))

    assert run.status == "failed"
    assert run.reason is not None and run.reason.startswith("the file cannot be read")


class _Interrupted:
    """An operator's Ctrl-C while the rows are applied."""

    def phase(self, name: str, total_bytes: int | None) -> None:
        if name == "applying":
            raise KeyboardInterrupt

    def progress(self, progress: object) -> None:
        return None


def test_a_sync_stopped_with_ctrl_c_is_recorded_as_stopped_at_once(
    engine: Engine, settings: Settings, store_id: str
) -> None:
    with pytest.raises(KeyboardInterrupt):
        sync_feed(engine, settings, SyncRequest(store_id, "cli", source=FEED), _Interrupted())

    with engine.connect() as conn:
        [run] = conn.execute(select(feed_runs).where(feed_runs.c.store_id == store_id)).all()
    assert (run.status, run.reason) == ("failed", "stopped before it finished (interrupted)")
    assert run.finished_at is not None


def test_a_run_left_running_by_a_dead_process_is_closed_by_the_next_sync(
    engine: Engine, settings: Settings, store_id: str
) -> None:
    with engine.begin() as conn:
        orphan = conn.execute(
            insert(feed_runs)
            .values(
                store_id=store_id,
                trigger="schedule",
                status="running",
                started_at=datetime.now(UTC),
                **dict.fromkeys(COUNTS, 0),
                errors=[],
            )
            .returning(feed_runs.c.id)
        ).scalar_one()

    sync_feed(engine, settings, SyncRequest(store_id, "cli", source=FEED))

    with engine.connect() as conn:
        row = conn.execute(select(feed_runs).where(feed_runs.c.id == orphan)).one()
    assert (row.status, row.reason) == ("failed", "the process running it stopped")


def test_the_sync_lock_is_taken_by_one_holder_at_a_time_and_released(
    engine: Engine, store_id: str
) -> None:
    with sync_lock(engine, store_id) as first:
        with sync_lock(engine, store_id) as second:
            assert (first, second) == (True, False)
        with sync_lock(engine, "st_another_store") as other_store:
            assert other_store is True
    with sync_lock(engine, store_id) as again:
        assert again is True


def test_the_feed_command_sets_syncs_a_file_and_shows_the_runs(
    database_url: str, tmp_path: Path, store_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WINBACK_DATABASE_URL", database_url)
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path))
    feed_file = tmp_path / "feed.tsv"
    feed_file.write_bytes(FEED.replace(b",", b"\t"))
    runner = CliRunner()

    set_feed = runner.invoke(
        cli, ["feed", "set", "--store", store_id, "--url", "https://shop.example/feed.csv"]
    )
    synced = runner.invoke(cli, ["feed", "sync", "--store", store_id, str(feed_file)])
    status = runner.invoke(cli, ["feed", "status", "--store", store_id])

    assert set_feed.exit_code == 0, set_feed.output
    assert synced.exit_code == 0, synced.output
    shown = json.loads(status.stdout)
    assert shown["feed"]["url"] == "https://shop.example/feed.csv"
    assert shown["feed"]["schedule_hours"] == 24
    [run] = shown["runs"]
    assert (run["trigger"], run["status"], run["created"]) == ("cli", "succeeded", 300)
    assert (run["rejected"], run["errors_not_listed"]) == (0, 0)


def test_the_feed_command_refuses_an_unknown_store_and_a_missing_file(
    database_url: str, tmp_path: Path, store_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WINBACK_DATABASE_URL", database_url)
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path))
    runner = CliRunner()

    unknown = runner.invoke(cli, ["feed", "status", "--store", "st_nobody"])
    missing = runner.invoke(cli, ["feed", "sync", "--store", store_id, str(tmp_path / "no.csv")])

    assert unknown.exit_code == 2
    assert "error: no store with id 'st_nobody'" in unknown.output
    assert missing.exit_code == 2
    assert "neither an http(s) URL nor a file" in missing.output


@pytest.mark.parametrize("url", ["http://", "http://exa mple.com/f", "ftp://shop.example/f"])
def test_the_feed_command_refuses_a_url_the_api_refuses(
    database_url: str, tmp_path: Path, store_id: str, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("WINBACK_DATABASE_URL", database_url)
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path))

    refused = CliRunner().invoke(cli, ["feed", "set", "--store", store_id, "--url", url])
    status = CliRunner().invoke(cli, ["feed", "status", "--store", store_id])

    assert refused.exit_code == 2
    assert "the feed URL must be an absolute http:// or https:// URL" in refused.output
    assert json.loads(status.stdout)["feed"] is None


def test_a_large_feed_read_in_a_child_process_syncs_the_same(
    engine: Engine,
    settings: Settings,
    store_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reader, "CHILD_THRESHOLD_BYTES", 0)
    path = tmp_path / "feed.csv"
    path.write_bytes(FEED + b"BAD,Pot,https://shop.example/bad,cheap\n")

    first = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=path))
    second = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=path))

    assert (first.status, first.rows_read, first.created, first.rejected) == (
        "succeeded",
        301,
        300,
        1,
    )
    assert first.errors == [
        {"line": 302, "column": "price", "reason": f"'cheap' is not a price such as {PRICE_SHAPES}"}
    ]
    assert (second.created, second.unchanged, second.rejected) == (0, 300, 1)


def test_a_feed_the_child_process_refuses_raises_the_same_feed_error(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(b"sku,title,link,price\nS1,Pot,https://shop.example/p,1\n")

    with pytest.raises(FeedError) as refused:  # noqa: SIM117 - the error comes from iterating
        with reader.feed_records(
            path, progress=lambda _: None, on_rejected=lambda _: None, child_threshold=0
        ) as records:
            list(records)

    assert (refused.value.reason, refused.value.column) == ("the feed has no 'id' column", "id")


VARIANT_FEED = (
    b"id,title,link,price,sale_price,availability,product_type,item_group_id,brand,description\n"
    b"S-RED,Shirt red,https://s/red,20.00 USD,15.50,in stock,A > B|C,SHIRT,Acme,Soft\n"
    b"S-BLUE,Shirt blue,https://s/blue,18.00 USD,,out of stock,Sale,SHIRT,Acme,Soft\n"
    b"MUG,Mug,https://s/mug,9.99,,,Home,,,\n"
    b"LAMP,Lamp,https://s/lamp,45 EUR,,out of stock,,,Lumo,Bright\n"
)
DESCRIBED = (
    "external_id",
    "status",
    "source",
    "sku",
    "title",
    "url",
    "price",
    "sale_price",
    "currency",
    "vendor",
    "categories",
    "images",
    "variants",
    "tags",
    "content_digest",
)


def _described(engine: Engine, store_id: str) -> list[tuple[object, ...]]:
    columns = [products.c[name] for name in DESCRIBED] + [products.c.data]
    query = select(*columns).where(products.c.store_id == store_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(products.c.external_id)).all()
    # (the data also holds when the description was written: the run's start)
    return [(*row[:-1], {k: v for k, v in row[-1].items() if k != "_described_at"}) for row in rows]


def _read_by_the_child(path: Path, database_url: str, store_id: str) -> list[str]:
    """What the reader child hands on for each product, by the name of its kind."""
    describe_for = reader.StoreDatabase(database_url, store_id)
    with reader.feed_records(
        path,
        progress=lambda _: None,
        on_rejected=lambda _: None,
        child_threshold=0,
        describe_for=describe_for,
    ) as records:
        return [type(r).__name__ for r in records if not isinstance(r, RowError)]


def test_the_reader_process_hands_on_unchanged_products_as_such_and_describes_changed_ones(
    engine: Engine, database_url: str, settings: Settings, store_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(FEED)

    before = _read_by_the_child(path, database_url, store_id)
    sync_feed(engine, settings, SyncRequest(store_id, "cli", source=path))
    after = _read_by_the_child(path, database_url, store_id)
    path.write_bytes(FEED.replace(b"P7,Pot 7,", b"P7,Big pot 7,"))
    one_changed = _read_by_the_child(path, database_url, store_id)

    # (how many of the changed ones it describes depends on which side is behind)
    assert len(before) == 300
    assert set(before) == {"FeedProduct", "DescribedProduct"}
    assert after == ["UnchangedProduct"] * 300
    assert one_changed[:6] + one_changed[7:] == ["UnchangedProduct"] * 299
    assert one_changed[6] in ("FeedProduct", "DescribedProduct")


def test_products_described_by_the_reader_process_are_stored_as_described_here(
    engine: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(VARIANT_FEED)
    here, _ = create_store(engine, name="Described here " + secrets.token_hex(3))
    there, _ = create_store(engine, name="Described by the reader " + secrets.token_hex(3))

    in_process = sync_feed(engine, settings, SyncRequest(here.id, "cli", source=VARIANT_FEED))
    monkeypatch.setattr(reader, "CHILD_THRESHOLD_BYTES", 0)
    by_child = sync_feed(engine, settings, SyncRequest(there.id, "cli", source=path))

    assert (in_process.created, by_child.created) == (3, 3)
    stored = _described(engine, there.id)
    assert stored == _described(engine, here.id)
    assert [row[:3] for row in stored] == [
        ("LAMP", "unavailable", "feed"),
        ("MUG", "active", "feed"),
        ("SHIRT", "active", "feed"),
    ]


def test_a_run_lists_its_first_1000_row_errors_and_counts_the_rest(
    engine: Engine, settings: Settings, store_id: str
) -> None:
    # given a feed of one good row and 5,000 rows with a bad price
    bad = "".join(f"B{n},Pot,https://shop.example/b{n},cheap\n" for n in range(5000))
    feed = f"id,title,link,price\nP1,Pot,https://shop.example/p1,1\n{bad}".encode()

    # when it is synced
    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=feed))

    # then every bad row is counted, the first 1,000 listed, and the rest said to be left out
    with engine.connect() as conn:
        stored = feed_storage.feed_run(conn, store_id, run.id)
    assert stored is not None
    assert (stored.rejected, len(stored.errors), stored.errors_not_listed) == (5000, 1000, 4000)
    assert stored.errors[-1]["line"] == 1002
    assert stored.to_dict()["errors_not_listed"] == 4000


def test_a_run_with_few_errors_leaves_none_unlisted(
    engine: Engine, settings: Settings, store_id: str
) -> None:
    run = sync_feed(engine, settings, SyncRequest(store_id, "cli", source=FEED))

    assert (run.rejected, run.errors_not_listed, run.to_dict()["errors_not_listed"]) == (0, 0, 0)


def test_a_bare_price_is_in_the_stores_currency_and_a_stated_one_is_kept(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    created, _ = create_store(engine, name="Krona store " + secrets.token_hex(3), currency="SEK")
    path = tmp_path / "feed.csv"
    path.write_bytes(b"id,title,link,price\nP1,Pot,https://s/1,129.90\nP2,Pan,https://s/2,15 EUR\n")
    first = sync_feed(engine, settings, SyncRequest(created.id, "cli", source=path))
    # Then bare again: a product keeps the currency it was described in.
    path.write_bytes(b"id,title,link,price\nP1,Pot,https://s/1,119.90\nP2,Pan,https://s/2,14\n")
    second = sync_feed(engine, settings, SyncRequest(created.id, "cli", source=path))

    assert (first.status, first.created, second.status, second.updated) == (
        "succeeded",
        2,
        "succeeded",
        2,
    ), (first, second)
    with engine.connect() as conn:
        found = conn.execute(
            select(products.c.external_id, products.c.currency, products.c.price)
            .where(products.c.store_id == created.id)
            .order_by(products.c.external_id)
        ).all()
    assert [tuple(row) for row in found] == [("P1", "SEK", Decimal("119.90")), ("P2", "EUR", 14)]
