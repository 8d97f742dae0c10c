"""The applier: a batch that fails is applied one event at a time, and every outcome counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, select

from tests.rawevents import webhook_event
from winback.apply import applier as applier_module
from winback.apply import batch
from winback.apply.applier import Applier, wait_after_failures
from winback.apply.direct import apply_direct
from winback.apply.item import ApplyItem
from winback.fields import to_email
from winback.intake.rawlog import append_events
from winback.intake.topics import Topic
from winback.intake.validation import parse_payload
from winback.storage import reads
from winback.storage.replay import replay_store
from winback.storage.schema import raw_events
from winback.stores.service import create_store


def _applied(outcome: str) -> float:
    return REGISTRY.get_sample_value("winback_events_applied_total", {"outcome": outcome}) or 0.0


def test_an_event_that_cannot_be_applied_fails_alone_and_is_counted(engine: Engine) -> None:
    # Given a good event and, in the same batch, one whose store no longer exists
    store, _ = create_store(engine, name="applier")
    append_events(
        engine,
        [
            webhook_event(store.id, "customers/update", {"email": "ada@example.com"}),
            webhook_event("st_gone", "customers/update", {"email": "x@y.z"}),
        ],
    )
    failed_before, applied_before = _applied("failed"), _applied("applied")
    # When the applier runs
    Applier(engine).drain()
    # Then the good event is applied, the other failed with the error, and both are counted
    with engine.connect() as conn:
        rows = conn.execute(
            select(raw_events.c.store_id, raw_events.c.outcome, raw_events.c.reason).where(
                raw_events.c.store_id.in_([store.id, "st_gone"])
            )
        ).all()
    outcomes = {row.store_id: (row.outcome, row.reason) for row in rows}
    assert outcomes[store.id] == ("applied", None)
    assert outcomes["st_gone"][0] == "failed"
    assert "st_gone" in outcomes["st_gone"][1]
    # (other tests' pending events in the shared database may be applied alongside)
    assert _applied("failed") == failed_before + 1
    assert _applied("applied") >= applied_before + 1


T = TypeVar("T")

# These run on a database of their own: a live server's applier on the shared one
# would take their events first, and call the functions they patch.


@pytest.fixture(params=[False, True], ids=["applied in the lock", "worked out first"])
def work_out_first(request: pytest.FixtureRequest) -> bool:
    """Both ways an applier works: inside the write lock, or worked out before it."""
    return bool(request.param)


@pytest.fixture
def own_store(private_engine: Engine) -> str:
    return create_store(private_engine, name="applier")[0].id


def _ours(store_id: str, rows: list[Any]) -> bool:
    return any(getattr(row, "store_id", None) == store_id for row in rows)


def _meanwhile(monkeypatch: pytest.MonkeyPatch, store_id: str, action: Callable[[], T]) -> list[T]:
    """Run ``action`` once, right after an applier has parsed a batch of the store's
    events (before it takes the write lock); its result lands in the returned list."""
    parse = batch.parse_events
    done: list[T] = []
    started: list[bool] = []  # (set first: the action may itself parse, as another applier)

    def parse_then_act(events: list[Any], *args: Any) -> Any:
        parsed = parse(events, *args)
        if _ours(store_id, events) and not started:
            started.append(True)
            done.append(action())
        return parsed

    monkeypatch.setattr(applier_module, "parse_events", parse_then_act)
    return done


def test_events_another_applier_took_meanwhile_are_not_applied_twice(
    private_engine: Engine, own_store: str, monkeypatch: pytest.MonkeyPatch, work_out_first: bool
) -> None:
    engine = private_engine
    # Given a pending event, and an applier that reads it before taking the write lock
    [seq] = append_events(
        engine, [webhook_event(own_store, "customers/update", {"email": "lin@example.com"})]
    )
    first, second = Applier(engine, work_out_first=work_out_first), Applier(engine)

    def let_the_other_apply() -> tuple[str, Any]:
        second.drain()  # the other applier takes the same event meanwhile
        return _outcome(engine, seq)

    applied_by_the_other = _meanwhile(monkeypatch, own_store, let_the_other_apply)
    # When the first applier goes on with what it read
    first.apply_pending()
    # Then the event stays as the other applier applied and recorded it
    assert applied_by_the_other[0][0] == "applied"
    assert _outcome(engine, seq) == applied_by_the_other[0]


def _outcome(engine: Engine, seq: int) -> tuple[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            select(raw_events.c.outcome, raw_events.c.applied_at).where(raw_events.c.seq == seq)
        ).one()
    return row.outcome, row.applied_at


AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _customer_item(store_id: str, body: dict[str, Any], at: datetime) -> ApplyItem:
    payload = parse_payload(Topic.CUSTOMER_UPDATE, body)
    return ApplyItem(store_id, Topic.CUSTOMER_UPDATE, "customers/update", payload, body, at, "csv")


def _sqlite_only(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("only SQLite's applier works a batch out before it takes the lock")


def test_a_batch_is_worked_out_before_the_lock_only_by_an_applier_of_its_own_process(
    private_engine: Engine, own_store: str, monkeypatch: pytest.MonkeyPatch, work_out_first: bool
) -> None:
    engine = private_engine
    _sqlite_only(engine)
    # Given a pending event and no other writer
    body = {"id": "w1", "email": "wen@example.com", "first_name": "Wen"}
    [seq] = append_events(engine, [webhook_event(own_store, "customers/update", body)])
    applied_inside_the_lock: list[Any] = []
    inside = batch.apply_parsed

    def recorded(conn: Any, items: list[Any], refused: list[Any]) -> Any:
        if _ours(own_store, items):
            applied_inside_the_lock.append(items)
        return inside(conn, items, refused)

    monkeypatch.setattr(applier_module, "apply_parsed", recorded)
    # When the applier runs
    Applier(engine, work_out_first=work_out_first).drain()
    # Then the batch was applied inside the lock only by the in-process applier
    assert (applied_inside_the_lock == []) is work_out_first
    # and it is stored either way
    assert _outcome(engine, seq)[0] == "applied"
    with engine.connect() as conn:
        stored = reads.customer(conn, own_store, "w1")
    assert stored is not None and stored.first_name == "Wen"


def test_a_write_after_the_snapshot_makes_the_batch_be_applied_again_inside_the_lock(
    private_engine: Engine, own_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = private_engine
    _sqlite_only(engine)
    # Given a customer, and a pending event that renames her
    apply_direct(engine, [_customer_item(own_store, {"id": "c7", "email": "ada@example.com"}, AT)])
    renamed = {"id": "c7", "email": "ada@example.com", "first_name": "Ann"}
    append_events(
        engine,
        [webhook_event(own_store, "customers/update", renamed, at=AT + timedelta(hours=1))],
    )
    # and, while the applier works its batch out on a snapshot, a newer write of
    # another of her fields (an import's) commits
    work_out = batch.work_out

    def work_out_then_another_writer_commits(*args: Any) -> Any:
        worked = work_out(*args)
        newer = {"id": "c7", "email": "ada@example.com", "last_name": "Lovelace"}
        apply_direct(engine, [_customer_item(own_store, newer, AT + timedelta(hours=2))])
        return worked

    monkeypatch.setattr(applier_module, "work_out", work_out_then_another_writer_commits)
    # When the applier goes on to write its batch
    Applier(engine, work_out_first=True).drain()
    # Then both changes are kept: the batch was not written over the newer one
    with engine.connect() as conn:
        stored = reads.customer(conn, own_store, "c7")
    assert stored is not None
    assert (stored.first_name, stored.last_name) == ("Ann", "Lovelace")


def test_events_a_replay_makes_pending_meanwhile_are_applied_first(
    private_engine: Engine, own_store: str, monkeypatch: pytest.MonkeyPatch, work_out_first: bool
) -> None:
    engine = private_engine
    # Given an event applied, and a later one pending that an applier has read
    older_body = {"id": "r1", "email": "r1@example.com"}
    [older] = append_events(
        engine, [webhook_event(own_store, "customers/update", older_body, at=AT)]
    )
    Applier(engine).drain()
    newer_body = {"id": "r2", "email": "r2@example.com"}
    newer_at = AT + timedelta(hours=1)
    [newer] = append_events(
        engine, [webhook_event(own_store, "customers/update", newer_body, at=newer_at)]
    )
    # (a replay makes the older one pending again meanwhile)
    _meanwhile(monkeypatch, own_store, lambda: replay_store(engine, own_store))
    # When the applier goes on with its batch
    Applier(engine, work_out_first=work_out_first).apply_pending()
    # Then that batch applied the older event too, with the one it had read
    assert _outcome(engine, older)[0] == "applied"
    assert _outcome(engine, newer)[0] == "applied"
    # (the replay wiped her record: it is there again, as of its event, only if the
    # older event was applied anew)
    with engine.connect() as conn:
        stored = [reads.customer(conn, own_store, external_id) for external_id in ("r1", "r2")]
    assert [(c.external_id, c.email, c.version_at) for c in stored if c is not None] == [
        ("r1", "r1@example.com", AT),
        ("r2", "r2@example.com", newer_at),
    ]


def test_events_that_arrive_after_the_batch_is_read_wait_for_the_next(
    private_engine: Engine, own_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = private_engine
    # Given an event read by the in-process applier, and another appended meanwhile
    [read] = append_events(
        engine, [webhook_event(own_store, "customers/update", {"email": "one@example.com"})]
    )
    second = webhook_event(own_store, "customers/update", {"email": "two@example.com"})
    arrived = _meanwhile(monkeypatch, own_store, lambda: append_events(engine, [second]))
    # When the applier applies its batch
    Applier(engine).apply_pending()
    # Then the batch was the event it read (not parsed again inside the lock)
    assert _outcome(engine, read)[0] == "applied"
    assert _outcome(engine, arrived[0][0])[0] == "pending"


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(1, 0.1), (2, 0.2), (3, 0.4), (6, 3.2), (7, 5.0), (100, 5.0), (5000, 5.0)],
)
def test_the_wait_after_failed_looks_doubles_to_5_seconds_however_long_it_fails(
    failures: int, wait: float
) -> None:
    # (a power of 2 past 1024 overflows a float: an outage of an hour and a half used to
    # end the applier for good)
    assert wait_after_failures(failures) == pytest.approx(wait)


def test_an_event_accepted_before_a_check_was_added_is_applied_as_it_was_accepted(
    private_engine: Engine,
) -> None:
    # given an event stored (acknowledged) before addresses were held to 64 bytes
    # before the @-sign, naming such an address in a custom event and a subscribe
    store, _ = create_store(private_engine, name="Stored before")
    address = "a" * 65 + "@example.com"
    append_events(
        private_engine,
        [
            webhook_event(store.id, "customers/update", {"id": "c1", "email": address}),
            webhook_event(store.id, "newsletter/subscribe", {"email": address}),
            webhook_event(store.id, "wishlist/added", {"email": address, "sku": "s1"}),
        ],
    )

    # when the applier applies them (after an upgrade, or in a replay)
    Applier(private_engine).drain()

    # then they are applied, not refused by the newer check
    with private_engine.connect() as conn:
        outcomes = conn.execute(
            select(raw_events.c.outcome).where(raw_events.c.store_id == store.id)
        ).scalars()
        assert list(outcomes) == ["applied", "applied", "applied"]
        customer = reads.customer(conn, store.id, "c1")
    assert customer is not None and customer.email == address
    # while the same address is refused as new input
    with pytest.raises(ValueError, match="at most 64 bytes"):
        to_email(address)
