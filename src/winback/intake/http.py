"""The webhook routes: both URL forms of the contract, with and without a trailing slash."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from winback.errors import InvalidPayload
from winback.intake.receive import REJECTED_BODY_KEPT, Delivery
from winback.runtime import Runtime
from winback.web.headers import header_text
from winback.web.openapi import STORE_KEY, STORE_TOKEN, answers
from winback.web.responses import JSONBody

router = APIRouter(tags=["intake"])


class Accepted(BaseModel):
    status: Literal["accepted"]
    event_id: int = Field(description="The event's number in the integration log")


_RESPONSES = answers(
    Accepted,
    400,
    401,
    404,
    413,
    415,
    429,
    description="Stored durably; it will be applied.",
    reasons={
        400: "Not JSON, not an object, or a field is missing or malformed; no x-event-type.",
        404: "Unknown store.",
    },
)


def _header(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "schema": {"type": "string"},
        "description": description,
    }


# The route reads the body and headers itself (the intake logs even what it refuses),
# so what a sender sends is declared here rather than as parameters.
_HEADERS = [
    _header("x-event-type", "The event type, e.g. orders/create (or an alias)", required=True),
    _header("x-token", "The store's API key; this or x-api-key is required"),
    _header("x-api-key", "The store's API key; this or x-token is required"),
    _header("x-event-time", "UNIX seconds: when the event happened (default: on arrival)"),
    _header("x-domain", "The store's domain; recorded"),
    _header("x-platform", "The sending platform; recorded"),
]
_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": True,
                "description": "The event's payload: its fields depend on x-event-type "
                "(customer, order, product, cart, newsletter; any object for a custom "
                "event). See docs/integration.md.",
            }
        }
    },
}
_STORE_ID_QUERY = {
    "name": "storeId",
    "in": "query",
    "required": True,
    "schema": {"type": "string"},
    "description": "The store's public id",
}
_SECURITY: list[dict[str, list[str]]] = [{STORE_TOKEN: []}, {STORE_KEY: []}]


def _documented(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"parameters": [*parameters, *_HEADERS], "requestBody": _BODY, "security": _SECURITY}


async def _read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, and whether it went over ``limit``.

    An oversized body is not read past the limit (its start is kept for the
    integration log); the intake answers it with 413 once it knows the sender.
    """
    declared = request.headers.get("content-length")
    declared_too_large = declared is not None and declared.isdigit() and int(declared) > limit
    # (declared too large: only what the log keeps of it is read)
    stop_at = REJECTED_BODY_KEPT if declared_too_large else limit + 1
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        chunks.append(chunk)
        if size >= stop_at:
            break
    return b"".join(chunks), declared_too_large or size > limit


def _repeated(request: Request, headers: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """The headers sent more than once with different values, each with its values
    (the ASGI server keeps every one; the dict above, the last)."""
    if len(request.headers.raw) == len(headers):
        return {}
    values: dict[str, list[str]] = {}
    for raw_name, raw_value in request.headers.raw:
        values.setdefault(raw_name.decode("latin-1").lower(), []).append(
            raw_value.decode("latin-1").strip()
        )
    return {name: tuple(sent) for name, sent in values.items() if len(set(sent)) > 1}


async def _receive(request: Request, store_id: str) -> JSONBody:
    runtime: Runtime = request.app.state.runtime
    body, too_large = await _read_body(request, runtime.settings.max_body_bytes)
    headers = {name.lower(): header_text(value) for name, value in request.headers.items()}
    delivery = Delivery(
        store_id, headers, body, too_large=too_large, repeated=_repeated(request, headers)
    )
    seq = await runtime.intake.receive_webhook(delivery)
    return JSONBody({"status": "accepted", "event_id": seq})


def _named_store(request: Request, also: str | None = None) -> str | None:
    """The one store the URL names: the same storeId twice (a sender's retry code
    appending it again) is that store; two stores are refused, as which one was
    meant cannot be told (nothing is logged: no one store's log is the place)."""
    named = [*([also] if also is not None else []), *request.query_params.getlist("storeId")]
    if len(set(named)) > 1:
        shown = ", ".join(repr(name[:64]) for name in dict.fromkeys(named))
        raise InvalidPayload(
            f"the URL names more than one store ({shown}); name one",
            code="invalid_request",
            parameter="storeId",
        )
    return named[0] if named else None


@router.post(
    "/webhooks/store/{store_id}",
    responses=_RESPONSES,
    openapi_extra=_documented(),
    summary="Receive a server-to-server event",
)
@router.post("/webhooks/store/{store_id}/", include_in_schema=False)
async def webhook_by_path(request: Request, store_id: str) -> JSONBody:
    # (a storeId in the query too must name the same store: else which was meant?)
    _named_store(request, also=store_id)
    return await _receive(request, store_id)


@router.post(
    "/webhooks",
    responses=_RESPONSES,
    openapi_extra=_documented(_STORE_ID_QUERY),
    summary="Receive an event (store id in query)",
)
@router.post("/webhooks/", include_in_schema=False)
async def webhook_by_query(request: Request) -> JSONBody:
    store_id = _named_store(request)
    if not store_id:
        raise InvalidPayload(
            "the storeId query parameter is required",
            code="missing_store_id",
            parameter="storeId",
        )
    return await _receive(request, store_id)
