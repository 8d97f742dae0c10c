"""Store keys: a rotation keeps the current key for a grace period, never more than two."""

from __future__ import annotations

import json
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.processes import run_winback
from winback.config import ConfigError, load_settings
from winback.errors import InvalidPayload, Unauthorized
from winback.stores.service import create_store, rotate_key, store_for_key


def test_a_second_rotation_ends_the_grace_of_the_first_key(engine: Engine) -> None:
    # Given a store whose key was rotated once, both keys valid
    store, first_key = create_store(engine, name="keys")
    second_key = rotate_key(engine, store.id, grace=timedelta(hours=24))
    assert store_for_key(engine, first_key).id == store_for_key(engine, second_key).id
    # When it is rotated again
    third_key = rotate_key(engine, store.id, grace=timedelta(hours=24))
    # Then the first key stops working, the second keeps its grace, the third works
    with pytest.raises(Unauthorized):
        store_for_key(engine, first_key)
    assert store_for_key(engine, second_key).id == store.id
    assert store_for_key(engine, third_key).id == store.id


def test_a_negative_grace_period_is_refused_and_changes_nothing(engine: Engine) -> None:
    store, key = create_store(engine, name="keys")

    with pytest.raises(InvalidPayload, match="must not be negative"):
        rotate_key(engine, store.id, grace=timedelta(hours=-5))

    assert store_for_key(engine, key).id == store.id


def test_a_negative_grace_setting_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="WINBACK_KEY_ROTATION_GRACE_HOURS must be at least 0"):
        load_settings({"WINBACK_KEY_ROTATION_GRACE_HOURS": "-5"})


def test_rotations_at_the_same_time_leave_two_keys_valid(engine: Engine) -> None:
    # given a store whose key is rotated eight times at once (a panicked operator,
    # a retrying script): the key that leaked must not survive them
    store, first_key = create_store(engine, name="keys")
    start = threading.Barrier(8)

    def rotate() -> str:
        start.wait()
        return rotate_key(engine, store.id, grace=timedelta(hours=24))

    with ThreadPoolExecutor(max_workers=8) as pool:
        new_keys = list(pool.map(lambda _: rotate(), range(8)))

    # then exactly two keys work: the newest, and the one it replaced (in its grace)
    valid = [key for key in [first_key, *new_keys] if _works(engine, key)]
    assert len(valid) == 2
    with pytest.raises(Unauthorized):
        store_for_key(engine, first_key)


def _works(engine: Engine, key: str) -> bool:
    try:
        store_for_key(engine, key)
    except Unauthorized:
        return False
    return True


def test_a_grace_period_over_a_year_is_refused_and_changes_nothing(engine: Engine) -> None:
    store, key = create_store(engine, name="keys")

    with pytest.raises(InvalidPayload, match="must be at most 8760 hours"):
        rotate_key(engine, store.id, grace=timedelta(hours=1e8))

    assert store_for_key(engine, key).id == store.id


def test_a_grace_setting_over_a_year_is_refused_at_start() -> None:
    with pytest.raises(
        ConfigError, match="WINBACK_KEY_ROTATION_GRACE_HOURS must be at most 8760, got '1e8'"
    ):
        load_settings({"WINBACK_KEY_ROTATION_GRACE_HOURS": "1e8"})


def test_the_cli_rotates_with_the_grace_setting_and_refuses_an_endless_one(
    tmp_path: Path,
) -> None:
    def winback(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return run_winback(list(args), tmp_path, **extra)

    created = winback("store", "create", "--name", "Shop")
    store_id = json.loads(created.stdout)["store_id"]
    rotated = winback("store", "rotate-key", store_id, WINBACK_KEY_ROTATION_GRACE_HOURS="2")
    assert json.loads(rotated.stdout)["previous_keys_expire_in_hours"] == 2.0

    for given, problem in [
        ("inf", "must be a number of hours; got inf"),
        ("nan", "must be a number of hours; got nan"),
        ("9000", "must be at most 8760 hours (a year); got 9000.0"),
        ("-1", "must not be negative; got -1.0"),
    ]:
        refused = winback("store", "rotate-key", store_id, "--grace-hours", given)
        assert refused.returncode == 2
        assert f"the grace period {problem}" in refused.stderr
        assert "Traceback" not in refused.stdout + refused.stderr


def test_a_store_currency_is_an_iso_4217_code(engine: Engine) -> None:
    # (a typo would count no order's spend: every order would be in "another" currency)
    with pytest.raises(
        InvalidPayload, match="must be an ISO 4217 code, like USD or EUR; got 'UDS'"
    ):
        create_store(engine, name="Shop", currency="UDS")

    store, _ = create_store(engine, name="Shop", currency=" eur ")
    assert store.currency == "EUR"
