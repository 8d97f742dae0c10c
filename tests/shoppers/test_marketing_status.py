"""Unit: a customer's marketing status from the three-state flag and the suppression list."""

from __future__ import annotations

import pytest

from winback.shoppers.model import marketing_status


@pytest.mark.parametrize(
    ("accepts_marketing", "status"),
    [(True, "subscribed"), (False, "unsubscribed"), (None, "unknown")],
)
def test_without_suppressions_the_flag_decides_and_null_stays_unknown(
    accepts_marketing: bool | None, status: str
) -> None:
    assert marketing_status(accepts_marketing, set()) == status


@pytest.mark.parametrize("accepts_marketing", [True, False, None])
def test_an_explicit_unsubscribe_wins_over_any_flag(accepts_marketing: bool | None) -> None:
    assert marketing_status(accepts_marketing, {"unsubscribed"}) == "unsubscribed"


@pytest.mark.parametrize("accepts_marketing", [True, False, None])
def test_a_pending_double_opt_in_is_pending_whatever_the_flag(
    accepts_marketing: bool | None,
) -> None:
    assert marketing_status(accepts_marketing, {"pending_opt_in"}) == "pending"


def test_unsubscribe_wins_over_a_pending_opt_in() -> None:
    assert marketing_status(True, {"pending_opt_in", "unsubscribed"}) == "unsubscribed"


@pytest.mark.parametrize("kind", ["hard_bounce", "spam_complaint", "manually_suppressed"])
def test_other_suppressions_do_not_change_the_consent_status(kind: str) -> None:
    assert marketing_status(True, {kind}) == "subscribed"
