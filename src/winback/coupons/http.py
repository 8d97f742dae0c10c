"""Coupon routes of the store API (``x-api-key``): the endpoint, issuing, listing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from winback.coupons.client import COUPONS_USER_AGENT, RetryPolicy
from winback.coupons.expiry import expiry_time
from winback.coupons.service import (
    configure_endpoint,
    endpoint_config,
    issue_coupon,
    list_coupons,
)
from winback.outbound.http import OutboundClient
from winback.runtime import Runtime
from winback.web.deps import (
    SINGLE_VALUED_QUERY,
    Filter,
    OneValuePerMember,
    RuntimeDep,
    StoreDep,
)
from winback.web.openapi import error_responses
from winback.web.responses import JSONBody

router = APIRouter(
    prefix="/api/v1/coupons",
    tags=["coupons"],
    responses=error_responses(400, 401, 409),
    dependencies=[SINGLE_VALUED_QUERY],
)


class EndpointBody(BaseModel):
    """A field left out (or null) keeps its stored value; the first time, url and key are needed."""

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    key: str | None = Field(default=None, min_length=1, max_length=500)
    prefix: str | None = Field(default=None, max_length=20)


class IssueBody(BaseModel):
    rule_id: str = Field(min_length=1, max_length=255)
    email: str | None = Field(default=None, max_length=320)
    expires_in: str | None = Field(default=None, max_length=20, examples=["7d"])
    expires_at: AwareDatetime | None = None


def outbound_client(runtime: Runtime) -> OutboundClient:
    return OutboundClient.configured(runtime.settings, user_agent=COUPONS_USER_AGENT)


def retry_policy(runtime: Runtime) -> RetryPolicy:
    """Retry for a few timeouts' worth: a bounded wait for whoever asked for the code."""
    return RetryPolicy(max_seconds=3 * runtime.settings.outbound_timeout_seconds)


@router.put(
    "/endpoint",
    summary="Set and check the store's coupon endpoint; fields left out keep their stored value",
)
def put_endpoint(
    body: EndpointBody, store: StoreDep, _: OneValuePerMember, runtime: RuntimeDep
) -> dict[str, Any]:
    with outbound_client(runtime) as client:
        config, answer = configure_endpoint(
            runtime.engine, client, store, url=body.url, key=body.key, prefix=body.prefix
        )
    return {**config.to_dict(), "check": answer}


@router.get("/endpoint", summary="The store's coupon endpoint (never its key)")
def get_endpoint(store: StoreDep) -> dict[str, Any]:
    config = endpoint_config(store)
    return config.to_dict() if config else {"url": None, "key_set": False}


@router.post(
    "",
    status_code=201,
    summary="Issue a code; 201 when the store created it, 502 when not (recorded either way)",
)
def post_coupon(
    body: IssueBody, store: StoreDep, _: OneValuePerMember, runtime: RuntimeDep
) -> JSONBody:
    expires_at = expiry_time(
        expires_in=body.expires_in, expires_at=body.expires_at, now=datetime.now(UTC)
    )
    with outbound_client(runtime) as client:
        coupon = issue_coupon(
            runtime.engine,
            client,
            store,
            rule_id=body.rule_id,
            email=body.email,
            expires_at=expires_at,
            policy=retry_policy(runtime),
        )
    if coupon.can_be_sent:
        return JSONBody(coupon.to_dict(), status_code=201)
    error = {"code": "coupon_not_created", "reason": coupon.error or "not created"}
    return JSONBody({"error": error, "coupon": coupon.to_dict()}, status_code=502)


@router.get("", summary="The store's codes, newest first, by email and status")
def get_coupons(
    store: StoreDep,
    runtime: RuntimeDep,
    email: Filter | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    found, next_cursor = list_coupons(
        runtime.engine, store, email=email, status=status, cursor=cursor, limit=limit
    )
    return {"items": [coupon.to_dict() for coupon in found], "next_cursor": next_cursor}
