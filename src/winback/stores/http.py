"""Operator routes for stores, behind ``WINBACK_ADMIN_TOKEN``."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from winback.errors import Unauthorized
from winback.stores.service import create_store, grace_period, list_stores, rotate_key
from winback.tracking.script import snippet
from winback.web.deps import OneValuePerMember, RuntimeDep
from winback.web.openapi import error_responses

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/admin/v1", tags=["operator"], responses=error_responses(400, 401, 404))


# Declared as a security scheme so that the OpenAPI document says how to call these.
_OPERATOR_TOKEN = HTTPBearer(
    auto_error=False,
    scheme_name="operatorToken",
    description="WINBACK_ADMIN_TOKEN, as Authorization: Bearer TOKEN",
)


def require_admin(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_OPERATOR_TOKEN)],
) -> None:
    expected = runtime.settings.admin_token
    if not expected:
        raise Unauthorized("the operator API is off: set WINBACK_ADMIN_TOKEN to turn it on")
    given = credentials.credentials.strip() if credentials else ""
    if not hmac.compare_digest(given.encode(), str(expected).encode()):
        raise Unauthorized("send the operator token as Authorization: Bearer TOKEN")


Admin = Depends(require_admin)


class _Exactly(BaseModel):
    """A body of these fields and no other: a misspelt one would be dropped and its
    default taken (``grace_hour``: a leaked key kept working for another day). Each
    of its own type too (``"grace_hours": true`` is no number of hours)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class NewStore(_Exactly):
    # (its length is checked by the service, as for the CLI: one sentence for both)
    name: str
    domain: str | None = None
    currency: str = "USD"


@router.post(
    "/stores",
    dependencies=[Admin],
    status_code=201,
    summary="Create a store; its key is shown once, with its tracking snippet",
)
def post_store(body: NewStore, _: OneValuePerMember, runtime: RuntimeDep) -> dict[str, Any]:
    store, key = create_store(
        runtime.engine, name=body.name, domain=body.domain, currency=body.currency
    )
    # (an operator's act over the network: the server's log is its record; never the key)
    log.info("store created", store_id=store.id, name=store.name)
    tracking = snippet(store.id, runtime.settings.resolved_public_url)
    return {**store.to_dict(), "api_key": key, "snippet": tracking}


@router.get("/stores", dependencies=[Admin], summary="All stores")
def get_stores(runtime: RuntimeDep) -> dict[str, Any]:
    return {"items": [store.to_dict() for store in list_stores(runtime.engine)]}


class KeyRotation(_Exactly):
    """How long the current key stays valid (default: WINBACK_KEY_ROTATION_GRACE_HOURS)."""

    # (checked by the service, as the CLI's option is, so both say the same)
    grace_hours: float | None = None


@router.post(
    "/stores/{store_id}/rotate-key",
    dependencies=[Admin],
    summary="Issue a new key; older keys stay valid for the grace period",
)
def post_rotate(
    store_id: str, _: OneValuePerMember, runtime: RuntimeDep, body: KeyRotation | None = None
) -> dict[str, Any]:
    hours = runtime.settings.key_rotation_grace_hours
    if body is not None and body.grace_hours is not None:
        hours = body.grace_hours
    key = rotate_key(runtime.engine, store_id, grace=grace_period(hours))
    log.info("store key rotated", store_id=store_id, grace_hours=hours)
    return {"store_id": store_id, "api_key": key, "previous_keys_expire_in_hours": hours}
