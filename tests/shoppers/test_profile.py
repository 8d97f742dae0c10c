"""Profile registers' stamps (a version's text, looked up rather than formatted), and
the purchases a customer keeps beside them."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import orjson

from winback.shoppers.model import Customer
from winback.shoppers.profile import (
    EXPLICIT,
    IMPLIED,
    append_tags,
    bought_since,
    forget_until,
    make_stamp,
    merge_registers,
    record_purchase,
    set_field,
    stamp_time,
    written_until,
)

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_stamp_holds_the_version_as_its_own_text() -> None:
    at = datetime(2026, 11, 1, 10, 0, 0, 250000, tzinfo=UTC)

    assert stamp_time(at) == "2026-11-01T10:00:00.250000+00:00"
    assert make_stamp(at, "Ada")[0] == at.isoformat()


def test_the_same_instant_in_two_zones_keeps_each_ones_text() -> None:
    in_utc = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    in_berlin = datetime(2026, 11, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    assert in_utc == in_berlin  # equal, so a cache keyed by the time alone would mix them

    assert (stamp_time(in_utc), stamp_time(in_berlin)) == (
        "2026-11-01T10:00:00+00:00",
        "2026-11-01T11:00:00+01:00",
    )


def _minutes(n: int) -> datetime:
    return START + timedelta(minutes=n)


def _customer() -> Customer:
    return Customer(uid="u1", store_id="st", version_at=START)


def test_the_newest_version_of_an_order_says_when_it_was_placed_in_any_order() -> None:
    # given three versions of one order, placed at minutes 5, 1, then 3
    versions = [("o1", _minutes(5), _minutes(10)), ("o1", _minutes(1), _minutes(20))]
    versions.append(("o1", _minutes(3), _minutes(30)))

    # when they are recorded in every order
    for order in itertools.permutations(versions):
        customer = _customer()
        for order_id, placed_at, version in order:
            record_purchase(customer, order_id, placed_at, version)

        # then the newest version's placing is the one kept
        assert bought_since(customer, _minutes(3))
        assert not bought_since(customer, _minutes(4))


def test_an_erasure_forgets_the_purchases_written_up_to_it_and_keeps_the_later_ones() -> None:
    # given a purchase recorded before an erasure at minute 10 and one after it
    customer = _customer()
    record_purchase(customer, "o1", _minutes(8), _minutes(9))
    record_purchase(customer, "o2", _minutes(2), _minutes(11))
    assert written_until(customer, _minutes(10))

    # when the erasure is applied
    kept = forget_until(customer, _minutes(10))

    # then only the later one is left, and it keeps the record
    assert kept
    assert not written_until(customer, _minutes(10))
    assert bought_since(customer, _minutes(2)) and not bought_since(customer, _minutes(3))
    assert not forget_until(customer, _minutes(11))
    assert "_purchases" not in customer.data


def test_a_merge_keeps_the_newer_version_of_each_purchase_and_every_other_one() -> None:
    # given two records of one person, with one order in both (a newer version in
    # the source) and one order in each
    source, target = _customer(), _customer()
    record_purchase(source, "shared", _minutes(1), _minutes(20))
    record_purchase(target, "shared", _minutes(9), _minutes(10))
    record_purchase(source, "o-source", _minutes(2), _minutes(2))
    record_purchase(target, "o-target", _minutes(3), _minutes(3))

    # when the source is merged into the target
    merge_registers(source, target)

    # then the target holds three purchases, the shared one as of its newer version
    assert written_until(target, _minutes(2)) and bought_since(target, _minutes(3))
    assert not bought_since(target, _minutes(4))
    assert forget_until(target, _minutes(3))
    assert bought_since(target, _minutes(1))


def test_a_purchase_costs_the_record_few_bytes() -> None:
    # given a buyer with a name, then the same buyer with 1,000 orders
    customer = _customer()
    set_field(customer, "first_name", "Ada", IMPLIED, START)
    before = len(orjson.dumps(customer.data))
    for number in range(1000):
        record_purchase(customer, f"order-{number:06d}", _minutes(number), _minutes(number))

    # then each order added its 12-character id, two times and punctuation: at most
    # 55 bytes (as a register and its copy, it took about 160)
    assert (len(orjson.dumps(customer.data)) - before) / 1000 <= 55


def test_an_erasure_forgets_the_tags_appended_up_to_it() -> None:
    # given tags set at minute 5, and tags appended before and after an erasure at 10
    customer = _customer()
    set_field(customer, "tags", ["vip"], EXPLICIT, _minutes(5))
    append_tags(customer, ["gift"], _minutes(8))
    append_tags(customer, ["new"], _minutes(12))
    assert customer.tags == ["vip", "gift", "new"]

    # when the erasure is applied
    kept = forget_until(customer, _minutes(10))

    # then only the tag appended after it is left, and it keeps the record
    assert kept and customer.tags == ["new"]
    assert not written_until(customer, _minutes(10))


def test_a_merge_keeps_the_tags_appended_to_either_record_after_the_targets_own() -> None:
    source, target = _customer(), _customer()
    set_field(target, "tags", ["vip"], EXPLICIT, _minutes(5))
    append_tags(source, ["old"], _minutes(4))
    append_tags(source, ["gift"], _minutes(6))
    append_tags(target, ["new"], _minutes(7))

    merge_registers(source, target)

    assert target.tags == ["vip", "gift", "new"]


def test_a_tag_appended_again_keeps_its_place_among_the_appended_ones() -> None:
    customer = _customer()
    set_field(customer, "tags", ["vip"], EXPLICIT, _minutes(1))
    append_tags(customer, ["a"], _minutes(2))
    append_tags(customer, ["b"], _minutes(3))
    append_tags(customer, ["a", "c"], _minutes(4))

    assert customer.tags == ["vip", "a", "b", "c"]


def test_a_tag_appended_before_and_after_a_replacement_takes_the_later_place() -> None:
    # (in every order of the four writes)
    writes: list[Callable[[Customer], object]] = [
        lambda c: append_tags(c, ["a"], _minutes(2)),
        lambda c: set_field(c, "tags", ["vip"], EXPLICIT, _minutes(3)),
        lambda c: append_tags(c, ["b"], _minutes(4)),
        lambda c: append_tags(c, ["a"], _minutes(5)),
    ]
    for order in itertools.permutations(writes):
        customer = _customer()
        for write in order:
            write(customer)
        assert customer.tags == ["vip", "b", "a"]
