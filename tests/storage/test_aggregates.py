"""How a shopper's aggregates are read: from the orders' index alone, on SQLite."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from winback.storage.aggregates import aggregate_figures, figure_columns
from winback.storage.engine import make_engine
from winback.storage.migrate import upgrade_to_head


def test_the_figures_are_read_from_the_orders_index_without_their_rows(tmp_path: Path) -> None:
    # given a database at the newest schema, and the statements it is sent recorded
    engine = make_engine(f"sqlite:///{tmp_path / 'figures.db'}")
    upgrade_to_head(engine)
    sent: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2:4]))

    # when a batch's buyers' figures are worked out
    with engine.begin() as conn:
        aggregate_figures(conn, {("st_1", "c1"), ("st_1", "c2")})
        (statement, parameters), *_ = [found for found in sent if "GROUP BY" in found[0]]
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    engine.dispose()

    # then SQLite reads the orders' figures index and never the orders themselves
    details = [row[-1] for row in plan]
    assert any("COVERING INDEX ix_orders_customer_figures" in detail for detail in details), details
    assert not any(detail.startswith("SCAN orders") for detail in details), details


@pytest.mark.parametrize(
    ("total", "counted", "average"),
    [
        ("52.7145", 2, "26.3573"),  # 26.35725: a half rounds up, as money does
        ("20.0001", 2, "10.0001"),  # 10.00005
        ("-20.0001", 2, "-10.0001"),  # (away from zero, refunds too)
        ("10", 3, "3.3333"),
        ("0", 0, None),
    ],
)
def test_the_average_order_value_rounds_halves_up_to_four_places(
    total: str, counted: int, average: str | None
) -> None:
    columns = figure_columns((counted, Decimal(total), counted, None, None))

    expected = None if average is None else Decimal(average)
    assert columns["average_order_value"] == expected
