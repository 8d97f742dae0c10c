"""The webhook routes: both URL forms of the contract, with and without a trailing slash."""

from __future__ import annotations

from fastapi import APIRouter, Request

from winback.errors import InvalidPayload
from winback.intake.receive import Delivery
from winback.runtime import Runtime
from winback.web.responses import JSONBody

router = APIRouter(tags=["intake"])

_RESPONSES: dict[int | str, dict[str, str]] = {
    200: {"description": "Stored durably; it will be applied."},
    400: {"description": "Not JSON, not an object, or a field is missing or malformed."},
    401: {"description": "Missing or wrong key."},
    404: {"description": "Unknown store."},
    413: {"description": "Body larger than the limit."},
    415: {"description": "Body is not JSON by content type."},
    429: {"description": "Rate limit exceeded; see Retry-After."},
}


async def _read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, and whether it went over ``limit``.

    An oversized body is not read past the limit (its start is kept for the
    integration log); the intake answers it with 413 once it knows the sender.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            return b"".join(chunks), True
    return b"".join(chunks), False


async def _receive(request: Request, store_id: str) -> JSONBody:
    runtime: Runtime = request.app.state.runtime
    body, too_large = await _read_body(request, runtime.settings.max_body_bytes)
    headers = {name.lower(): value for name, value in request.headers.items()}
    delivery = Delivery(store_id, headers, body, too_large=too_large)
    seq = await runtime.intake.receive_webhook(delivery)
    return JSONBody({"status": "accepted", "event_id": seq})


@router.post(
    "/webhooks/store/{store_id}", responses=_RESPONSES, summary="Receive a server-to-server event"
)
@router.post("/webhooks/store/{store_id}/", include_in_schema=False)
async def webhook_by_path(request: Request, store_id: str) -> JSONBody:
    return await _receive(request, store_id)


@router.post("/webhooks", responses=_RESPONSES, summary="Receive an event (store id in query)")
@router.post("/webhooks/", include_in_schema=False)
async def webhook_by_query(request: Request) -> JSONBody:
    store_id = request.query_params.get("storeId")
    if not store_id:
        raise InvalidPayload("the storeId query parameter is required", code="missing_store_id")
    return await _receive(request, store_id)
