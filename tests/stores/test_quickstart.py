"""The store quickstart makes on a first run, and what it says of a file it cannot use."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.processes import run_winback
from winback.config import ConfigError
from winback.stores.quickstart import quickstart_store
from winback.stores.service import list_stores, rotate_key, store_for_key


def test_the_first_run_makes_a_store_and_keeps_its_key_for_the_owner_only(
    private_engine: Engine, tmp_path: Path
) -> None:
    saved = tmp_path / "data" / "quickstart-store.json"

    made = quickstart_store(private_engine, saved)
    again = quickstart_store(private_engine, saved)

    assert store_for_key(private_engine, made.api_key).id == made.store_id
    assert again == made and made.key_still_valid
    assert [store.id for store in list_stores(private_engine)] == [made.store_id]
    assert saved.stat().st_mode & 0o777 == 0o600


def test_a_rotated_key_is_still_shown_but_said_to_work_no_more(
    private_engine: Engine, tmp_path: Path
) -> None:
    saved = tmp_path / "quickstart-store.json"
    made = quickstart_store(private_engine, saved)

    rotate_key(private_engine, made.store_id, grace=timedelta(0))

    assert quickstart_store(private_engine, saved).key_still_valid is False


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"store_id": "st_1", "api_key": ', "Expecting value"),
        ("[1, 2]", "it holds no JSON object"),
        ('{"store_id": "st_1"}', "it lacks api_key"),
        ('{"store_id": 7, "api_key": null}', "it lacks store_id and api_key"),
        ("\x80{}", "'utf-8' codec can't decode"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_and_left_as_it_is(
    private_engine: Engine, tmp_path: Path, content: str, reason: str
) -> None:
    saved = tmp_path / "quickstart-store.json"
    saved.write_bytes(content.encode("latin-1"))

    with pytest.raises(ConfigError) as refused:
        quickstart_store(private_engine, saved)

    assert str(refused.value).startswith(f"{saved} cannot be read: ")
    assert reason in str(refused.value)
    assert str(refused.value).endswith("remove it to make a new store")
    assert saved.read_bytes() == content.encode("latin-1")
    assert list_stores(private_engine) == []


def test_a_file_naming_a_store_of_another_database_is_refused(
    private_engine: Engine, tmp_path: Path
) -> None:
    saved = tmp_path / "quickstart-store.json"
    saved.write_text(json.dumps({"store_id": "st_elsewhere", "api_key": "wbk_x"}))

    with pytest.raises(ConfigError, match="names store 'st_elsewhere', which this database"):
        quickstart_store(private_engine, saved)

    assert list_stores(private_engine) == []


def test_quickstart_on_a_broken_file_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "quickstart-store.json").write_text("{not json")

    finished = run_winback(["quickstart", "--port", "0"], tmp_path)

    assert finished.returncode == 2
    [line] = finished.stderr.splitlines()
    assert line.startswith(f"winback: {tmp_path / 'quickstart-store.json'} cannot be read: ")
    assert finished.stdout == ""
