"""Store keys: a rotation keeps the current key for a grace period, never more than two."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

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
