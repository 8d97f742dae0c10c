"""The integration log's outcomes, as the read API documents them."""

from __future__ import annotations

from typing import get_args

from winback.api.schemas import Outcome
from winback.outcomes import OUTCOMES


def test_the_documented_outcomes_are_the_ones_events_get() -> None:
    assert get_args(Outcome) == OUTCOMES
