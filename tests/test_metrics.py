"""/metrics: what it shows is as of the scrape (with several processes, see
tests/jobs/test_worker_process.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from tests.conftest import StoreClient, serving, settings_for
from winback.apply.applier import Applier
from winback.stores.service import create_store


def _pending_gauge(url: str) -> float:
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics", timeout=10).text):
        if family.name == "winback_apply_pending":
            return float(family.samples[0].value)
    raise AssertionError("no winback_apply_pending on /metrics")


def test_the_pending_gauge_is_the_backlog_when_scraped(
    private_engine: Engine, tmp_path: Path
) -> None:
    created, key = create_store(private_engine, name="Backlog")
    url = private_engine.url.render_as_string(hide_password=False)
    # (no applier in the server, as beside `winback worker`; nor any hold on the intake)
    settings = settings_for(url, tmp_path, apply_lag_limit_seconds=0)
    with serving(settings, apply_in_process=False) as live:
        store = StoreClient(live, created.id, key)
        for n in range(3):
            sent = store.send("customers/create", {"id": n, "email": f"c{n}@example.com"})
            assert sent.status_code == 200, sent.text

        # when nothing but a scrape asks (no /healthz)
        waiting = _pending_gauge(live.url)
        Applier(private_engine).drain()
        applied = _pending_gauge(live.url)
        store.http.close()

    # then the gauge is the backlog then, and once it is gone
    assert (waiting, applied) == (3, 0)
