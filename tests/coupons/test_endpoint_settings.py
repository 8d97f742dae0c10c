"""Changing one setting of the coupon endpoint keeps the others it was not given,
from the command line and from the API alike; a first configuration takes the defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tests.conftest import StoreClient
from tests.coupons.conftest import STORE_KEY, TIMEOUT, Coupons, StoreSide
from winback.cli import app as cli
from winback.coupons.service import SETTINGS_KEY
from winback.stores.service import get_store


@pytest.fixture
def command_line(database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`winback` run from a shell on the same database, allowed to call the loopback store."""
    monkeypatch.setenv("WINBACK_DATABASE_URL", database_url)
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WINBACK_OUTBOUND_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("WINBACK_OUTBOUND_TIMEOUT_SECONDS", str(TIMEOUT))


def endpoint_command(store: StoreClient, *options: str) -> Result:
    return CliRunner().invoke(cli, ["coupon", "endpoint", "--store", store.store_id, *options])


def answer(result: Result) -> dict[str, Any]:
    """The command's JSON answer. (Run in-process, a log line may come first on standard
    output: `main`, which CliRunner skips, is what sends a command's logs to standard error.)"""
    return json.loads(result.stdout[result.stdout.index("{\n") :])  # type: ignore[no-any-return]


def configured(store: StoreClient, store_side: StoreSide) -> str:
    """Set a new endpoint up with the kit's key; its URL."""
    url, _ = store_side.new_endpoint()
    assert endpoint_command(store, "--url", url, "--key", STORE_KEY).exit_code == 0
    return url


def stored(engine: Engine, store: StoreClient) -> dict[str, Any] | None:
    saved = get_store(engine, store.store_id).settings.get(SETTINGS_KEY)
    return dict(saved) if saved is not None else None


@pytest.mark.usefixtures("command_line")
def test_a_new_url_on_the_command_line_keeps_the_prefix_and_the_key(
    store: StoreClient, store_side: StoreSide, engine: Engine
) -> None:
    first, _ = store_side.new_endpoint()
    second, moved = store_side.new_endpoint()
    setup = endpoint_command(store, "--url", first, "--key", STORE_KEY, "--prefix", "spring-")
    assert setup.exit_code == 0, setup.output

    changed = endpoint_command(store, "--url", second)

    assert changed.exit_code == 0, changed.output
    shown = answer(changed)
    assert (shown["url"], shown["prefix"], shown["key_set"]) == (second, "SPRING-", True)
    saved = stored(engine, store)
    assert saved is not None
    assert (saved["url"], saved["key"], saved["prefix"]) == (second, STORE_KEY, "SPRING-")
    # The new URL was checked with the kept key, which the kit accepted.
    assert len(moved.calls) == 1
    assert shown["check"].startswith("the endpoint answered is_success false")


@pytest.mark.usefixtures("command_line")
def test_a_new_prefix_alone_keeps_the_url_and_the_key(
    store: StoreClient, store_side: StoreSide, engine: Engine
) -> None:
    url = configured(store, store_side)

    changed = endpoint_command(store, "--prefix", "autumn_")

    assert changed.exit_code == 0, changed.output
    saved = stored(engine, store)
    assert saved is not None
    assert (saved["url"], saved["key"], saved["prefix"]) == (url, STORE_KEY, "AUTUMN_")


@pytest.mark.usefixtures("command_line")
def test_an_empty_prefix_given_on_purpose_removes_it(
    store: StoreClient, store_side: StoreSide, engine: Engine
) -> None:
    configured(store, store_side)

    changed = endpoint_command(store, "--prefix", "")

    assert changed.exit_code == 0, changed.output
    saved = stored(engine, store)
    assert saved is not None and saved["prefix"] == ""


@pytest.mark.usefixtures("command_line")
def test_a_first_configuration_needs_a_url_and_a_key_and_takes_the_default_prefix(
    store: StoreClient, store_side: StoreSide, engine: Engine
) -> None:
    url, behaviour = store_side.new_endpoint()

    without_key = endpoint_command(store, "--url", url)
    without_url = endpoint_command(store, "--key", STORE_KEY)

    assert (without_key.exit_code, without_key.output) == (
        2,
        "error: the endpoint's key is required to set the endpoint up\n",
    )
    assert (without_url.exit_code, without_url.output) == (
        2,
        "error: the endpoint's URL is required to set the endpoint up\n",
    )
    assert stored(engine, store) is None
    assert behaviour.calls == []

    first = endpoint_command(store, "--url", url, "--key", STORE_KEY)

    assert first.exit_code == 0, first.output
    assert answer(first)["prefix"] == "WB-"


@pytest.mark.usefixtures("command_line")
def test_the_stored_key_is_not_sent_to_another_host(
    store: StoreClient, store_side: StoreSide, engine: Engine
) -> None:
    configured(store, store_side)
    before = stored(engine, store)

    moved = endpoint_command(store, "--url", "http://coupons.elsewhere.example")

    assert (moved.exit_code, moved.output) == (
        2,
        "error: give the key again for a URL on another host or scheme: "
        "winback sends the stored key only where it was given for\n",
    )
    assert stored(engine, store) == before


@pytest.mark.usefixtures("command_line")
def test_the_stored_key_is_not_sent_over_another_scheme(
    store: StoreClient, store_side: StoreSide, engine: Engine
) -> None:
    url = configured(store, store_side)
    before = stored(engine, store)

    moved = endpoint_command(store, "--url", url.replace("http://", "https://", 1))

    assert moved.exit_code == 2
    assert "another host or scheme" in moved.output
    assert stored(engine, store) == before


@pytest.mark.usefixtures("command_line")
def test_a_new_url_that_fails_its_check_changes_nothing_and_says_why(
    store: StoreClient, store_side: StoreSide, engine: Engine
) -> None:
    url, _ = store_side.new_endpoint()
    assert (
        endpoint_command(store, "--url", url, "--key", STORE_KEY, "--prefix", "x-").exit_code == 0
    )
    before = stored(engine, store)
    failing, behaviour = store_side.new_endpoint()
    behaviour.always_answer(500, b"Internal Server Error")

    changed = endpoint_command(store, "--url", failing)

    assert (changed.exit_code, changed.output) == (
        2,
        "error: the endpoint answered HTTP 500 Internal Server Error: "
        "a failure on the store's server; it said: Internal Server Error\n",
    )
    assert stored(engine, store) == before


def test_a_put_that_leaves_fields_out_keeps_their_stored_values(
    coupons: Coupons, store_side: StoreSide, store: StoreClient, engine: Engine
) -> None:
    first, _ = store_side.new_endpoint()
    second, _ = store_side.new_endpoint()
    assert coupons.set_endpoint(first, prefix="spring-").status_code == 200

    new_url = coupons.put_endpoint(url=second)
    null_prefix = coupons.put_endpoint(prefix=None)

    assert new_url.status_code == 200, new_url.text
    assert (new_url.json()["url"], new_url.json()["prefix"]) == (second, "SPRING-")
    assert null_prefix.status_code == 200, null_prefix.text
    saved = stored(engine, store)
    assert saved is not None
    assert (saved["url"], saved["key"], saved["prefix"]) == (second, STORE_KEY, "SPRING-")


def test_a_first_put_without_a_key_is_refused_and_nothing_is_kept(
    coupons: Coupons, store_side: StoreSide
) -> None:
    url, behaviour = store_side.new_endpoint()

    response = coupons.put_endpoint(url=url)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["pointer"], error["reason"]) == (
        "/key",
        "the endpoint's key is required to set the endpoint up",
    )
    assert coupons.store.get("/api/v1/coupons/endpoint").json()["url"] is None
    assert behaviour.calls == []
