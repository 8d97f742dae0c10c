"""The store-key API of the product feed: settings, sync now, upload a file, runs.

Syncs are queued (a large feed takes a minute): ``POST`` answers 202 with the
run, and ``GET /api/v1/feed`` or ``GET /api/v1/feed/runs/{id}`` tells how it went.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, field_validator

from winback.errors import NotFound
from winback.feeds.fetch import MAX_FEED_BYTES, spool_dir
from winback.feeds.model import (
    DEFAULT_SCHEDULE_HOURS,
    MAX_SCHEDULE_HOURS,
    MAX_URL_LENGTH,
    TRIGGER_API,
    TRIGGER_UPLOAD,
    checked_feed_url,
)
from winback.feeds.sync import configured_feed, queue_run
from winback.feeds.tasks import feed_tasks
from winback.storage import feeds as feed_storage
from winback.web.deps import SINGLE_VALUED_QUERY, OneValuePerMember, RuntimeDep, StoreDep
from winback.web.openapi import error_responses
from winback.web.uploads import save_body

router = APIRouter(
    prefix="/api/v1/feed",
    tags=["product feed"],
    responses=error_responses(400, 401, 404, 413),
    dependencies=[SINGLE_VALUED_QUERY],
)


class FeedBody(BaseModel):
    url: str = Field(max_length=MAX_URL_LENGTH)
    schedule_hours: int = Field(default=DEFAULT_SCHEDULE_HOURS, ge=1, le=MAX_SCHEDULE_HOURS)

    @field_validator("url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        return checked_feed_url(value)


@router.put("", summary="Set the feed's URL and how often it is fetched (hours)")
def put_feed(
    body: FeedBody, store: StoreDep, _: OneValuePerMember, runtime: RuntimeDep
) -> dict[str, Any]:
    with runtime.engine.begin() as conn:
        feed = feed_storage.put_feed_settings(
            conn,
            store.id,
            url=body.url,
            schedule_hours=body.schedule_hours,
            now=datetime.now(UTC),
        )
    return {"feed": feed.to_dict()}


@router.get("", summary="The feed's settings and its last runs, newest first")
def get_feed(
    store: StoreDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        feed = feed_storage.feed_settings(conn, store.id)
        runs = feed_storage.latest_runs(conn, store.id, limit)
    return {
        "feed": feed.to_dict() if feed else None,
        "runs": [run.to_dict() for run in runs],
    }


@router.get("/runs/{run_id}", summary="One run: counts, row errors, and why it failed")
def get_run(run_id: int, store: StoreDep, runtime: RuntimeDep) -> dict[str, Any]:
    run = None
    if 0 < run_id < 2**63:  # (a run's number is a 64-bit one; no other is a run)
        with runtime.engine.connect() as conn:
            run = feed_storage.feed_run(conn, store.id, run_id)
    if run is None:
        raise NotFound(f"no feed run {run_id}")
    return {"run": run.to_dict()}


@router.post("/sync", status_code=202, summary="Queue a sync of the feed URL now")
def post_sync(store: StoreDep, runtime: RuntimeDep) -> dict[str, Any]:
    feed = configured_feed(runtime.engine, store.id)
    run = queue_run(runtime.engine, store.id, trigger=TRIGGER_API, source=feed.url)
    feed_tasks(runtime.queue).sync(store.id, trigger=TRIGGER_API, run_id=run.id, upload=None)
    return {"run": run.to_dict()}


@router.post(
    "/upload",
    status_code=202,
    summary="Queue a sync of the feed file in the body (CSV, TSV or XML, gzipped or not)",
)
async def post_upload(request: Request, store: StoreDep, runtime: RuntimeDep) -> dict[str, Any]:
    path = await _spool_body(request, spool_dir(runtime.settings.data_dir))
    filename = request.headers.get("x-filename") or "uploaded file"
    run = queue_run(runtime.engine, store.id, trigger=TRIGGER_UPLOAD, source=filename[:200])
    feed_tasks(runtime.queue).sync(store.id, trigger=TRIGGER_UPLOAD, run_id=run.id, upload=path)
    return {"run": run.to_dict()}


async def _spool_body(request: Request, folder: Path) -> Path:
    path = folder / f"upload-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(6)}.feed"
    await save_body(request, path, max_bytes=MAX_FEED_BYTES, what="a feed file")
    return path
