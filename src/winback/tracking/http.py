"""The collector's routes and the script's: thin, the work is in collector.py and script.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from winback.errors import RateLimited, WinbackError
from winback.metrics import COLLECTOR_REQUESTS
from winback.runtime import Runtime
from winback.stores.service import Store
from winback.tracking.collector import ACCEPTED, BrowserRequest, Collector
from winback.tracking.origins import allowed_origin
from winback.tracking.script import tracking_script
from winback.web.openapi import error_responses
from winback.web.responses import JSONBody

router = APIRouter(tags=["tracking"])

VERSIONED_CACHE = "public, max-age=31536000, immutable"
# Stores' pages keep the plain URL: an upgraded script reaches them within the hour.
PLAIN_CACHE = "public, max-age=3600"

_OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "Stored durably: the ids of the events kept, and any refused."},
    204: {"description": "A crawler's batch: dropped, not stored."},
}
_RESPONSES = _OK | error_responses(
    400,
    403,
    404,
    413,
    415,
    429,
    reasons={
        400: "Not a batch, or no event of it may be kept (server-only types...).",
        403: "The page's origin is not the store's domain.",
        404: "Unknown store.",
        413: "Body larger than the collector's limit.",
        415: "Not text/plain or application/json.",
        429: "Too many requests from this IP or events from this visitor.",
    },
)


def _collector(request: Request) -> Collector:
    """One collector per runtime: its rate limits live as long as the process serves."""
    runtime: Runtime = request.app.state.runtime
    collector: Collector | None = getattr(request.app.state, "collector", None)
    if collector is None or collector.writer is not runtime.writer:
        collector = request.app.state.collector = Collector(runtime.settings, runtime.writer)
    return collector


def _cors(store: Store | None, origin: str | None) -> dict[str, str]:
    allowed = allowed_origin(store.domain if store else None, origin)
    if allowed is None:
        return {}
    return {"Access-Control-Allow-Origin": allowed, "Vary": "Origin"}


async def _read_capped(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, or its first ``limit`` bytes and True when it is longer."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _error(error: WinbackError, cors: dict[str, str]) -> JSONBody:
    headers = dict(cors)
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return JSONBody({"error": error.to_dict()}, status_code=error.status, headers=headers)


@router.post("/collect/{store_id}", responses=_RESPONSES, summary="Receive the script's events")
async def collect(request: Request, store_id: str) -> Response:
    runtime: Runtime = request.app.state.runtime
    origin = request.headers.get("origin")
    try:
        store = runtime.directory.find(store_id)
    except WinbackError as error:
        COLLECTOR_REQUESTS.labels(outcome="unknown_store").inc()
        return _error(error, _cors(None, origin))
    cors = _cors(store, origin)
    limit = runtime.settings.tracking_max_body_bytes
    body, too_large = await _read_capped(request, limit)
    headers = {name.lower(): value for name, value in request.headers.items()}
    client_ip = request.client.host if request.client else "unknown"
    try:
        collected = await _collector(request).collect(
            store, BrowserRequest(body, too_large, headers, client_ip)
        )
    except WinbackError as error:
        return _error(error, cors)
    if collected.outcome != ACCEPTED:
        return Response(status_code=204, headers=cors)
    answer = {"status": "accepted", "event_ids": collected.event_ids, "refused": collected.refused}
    return JSONBody(answer, headers=cors)


@router.options("/collect/{store_id}", include_in_schema=False)
async def collect_preflight(request: Request, store_id: str) -> Response:
    """CORS preflight, for clients that post JSON (the script's text/plain needs none)."""
    runtime: Runtime = request.app.state.runtime
    try:
        store = runtime.directory.find(store_id)
    except WinbackError as error:
        return _error(error, _cors(None, request.headers.get("origin")))
    cors = _cors(store, request.headers.get("origin"))
    if cors:
        cors |= {
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "86400",
        }
    return Response(status_code=204, headers=cors)


@router.get("/track.js", summary="The tracking script")
@router.head("/track.js", include_in_schema=False)
async def track_js(request: Request, v: str | None = None) -> Response:
    """Cacheable: an ETag always; a year with ``?v=<version>`` of the current script."""
    script = tracking_script()
    gzipped = "gzip" in request.headers.get("accept-encoding", "").lower()
    etag = f'"{script.version}-gz"' if gzipped else f'"{script.version}"'
    headers = {
        "ETag": etag,
        "Cache-Control": VERSIONED_CACHE if v == script.version else PLAIN_CACHE,
        "Vary": "Accept-Encoding",
        # Pages with a strict embedder policy may still load it from winback's origin.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    matches = request.headers.get("if-none-match", "")
    if script.version in matches or matches.strip() == "*":
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    body = script.gzipped if gzipped else script.body
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
