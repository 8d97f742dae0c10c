"""Coupon services: connect a store's coupon endpoint, issue a code, list the codes.

HTTP routes and CLI commands are thin wrappers over these functions; the email
engine calls ``issue_coupon`` too and may put a code in a message only when the
returned coupon ``can_be_sent``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Engine

from winback.coupons.client import (
    CallOutcome,
    CodeRequest,
    Endpoint,
    RetryPolicy,
    StoreRefused,
    call_once,
    create_code,
)
from winback.coupons.codes import generate_code, normalize_prefix
from winback.coupons.model import CREATED, FAILED, STATUSES, Coupon
from winback.coupons.reasons import failure_reason
from winback.errors import Conflict, InvalidPayload, WinbackError
from winback.fields import Email, email_as_stored
from winback.outbound.errors import RetryableError
from winback.outbound.http import OutboundClient
from winback.storage import coupons as coupon_rows
from winback.stores.service import Store, update_settings

log = structlog.get_logger(__name__)

SETTINGS_KEY = "coupon_endpoint"
# The contract has no dry run: the check asks for a code from a rule no store has,
# and any answer in the contract's shape (success or a refusal) proves the endpoint
# speaks it and takes the key.
CHECK_RULE = "__winback_check__"
CODE_DRAWS = 5
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


class EndpointUnusable(WinbackError):
    """The coupon endpoint did not answer the check call as the contract says."""

    status = 400
    code = "coupon_endpoint_unusable"


class EndpointMissing(Conflict):
    code = "coupon_endpoint_missing"


@dataclass(frozen=True)
class EndpointConfig:
    """A store's coupon endpoint as kept in its settings (the key is never shown)."""

    endpoint: Endpoint
    prefix: str
    checked_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.endpoint.base_url,
            "prefix": self.prefix,
            "checked_at": self.checked_at,
            "key_set": True,
        }


def endpoint_config(store: Store) -> EndpointConfig | None:
    saved = store.settings.get(SETTINGS_KEY)
    if not isinstance(saved, dict) or not saved.get("url") or not saved.get("key"):
        return None
    return EndpointConfig(
        endpoint=Endpoint(str(saved["url"]), str(saved["key"])),
        prefix=str(saved.get("prefix", "")),
        checked_at=str(saved.get("checked_at", "")),
    )


def _checked_url(url: str) -> str:
    parsed = httpx.URL(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidPayload("the URL must be an http(s) URL", pointer="/url", code="invalid_url")
    if parsed.query:
        raise InvalidPayload(
            "give the base URL without a query; winback adds /discounts and the key",
            pointer="/url",
            code="invalid_url",
        )
    return str(parsed).rstrip("/")


def check_endpoint(client: OutboundClient, endpoint: Endpoint) -> str:
    """Make one call the store must answer in the contract's shape; say what it answered."""
    probe = CodeRequest(code=f"CHECK-{secrets.token_hex(4).upper()}", rule_id=CHECK_RULE)
    try:
        call_once(client, endpoint, probe)
    except StoreRefused as refused:
        if not refused.in_contract_shape:
            pointer = "/key" if refused.key_refused else "/url"
            raise EndpointUnusable(refused.reason, pointer=pointer) from None
        return f"the endpoint answered is_success false: {refused.reason}"
    except RetryableError as error:
        # Not reached, or a temporary failure (5xx, 429): either way nothing proves it works.
        reason = failure_reason(endpoint.url, error, key=endpoint.key)
        raise EndpointUnusable(reason, pointer="/url") from None
    return "the endpoint answered is_success true"


def configure_endpoint(
    engine: Engine,
    client: OutboundClient,
    store: Store,
    *,
    url: str | None = None,
    key: str | None = None,
    prefix: str | None = None,
) -> tuple[EndpointConfig, str]:
    """Check the endpoint and keep it in the store's settings; returns it and the check's answer.

    A setting left out (``None``) keeps its stored value, so changing the URL keeps
    the prefix; a first configuration needs the URL and the key, the prefix defaults.
    """
    stored = endpoint_config(store)
    endpoint = _endpoint_to_check(stored, url, key)
    if prefix is None and stored is not None:
        chosen_prefix = stored.prefix
    else:
        chosen_prefix = normalize_prefix(prefix)
    answer = check_endpoint(client, endpoint)
    checked_at = datetime.now(UTC).isoformat()
    saved = {
        "url": endpoint.base_url,
        "key": endpoint.key,
        "prefix": chosen_prefix,
        "checked_at": checked_at,
    }
    update_settings(engine, store.id, {SETTINGS_KEY: saved})
    log.info("coupon endpoint configured", store_id=store.id, url=endpoint.base_url)
    return EndpointConfig(endpoint, chosen_prefix, checked_at), answer


def _endpoint_to_check(stored: EndpointConfig | None, url: str | None, key: str | None) -> Endpoint:
    if url is not None:
        base_url = _checked_url(url)
    elif stored is not None:
        base_url = stored.endpoint.base_url
    else:
        raise InvalidPayload(
            "the endpoint's URL is required to set the endpoint up",
            pointer="/url",
            code="invalid_url",
        )
    if key is None:
        return Endpoint(base_url, _kept_key(stored, base_url))
    if not key.strip():
        raise InvalidPayload(
            "the endpoint's key must not be empty", pointer="/key", code="invalid_key"
        )
    return Endpoint(base_url, key.strip())


def _kept_key(stored: EndpointConfig | None, base_url: str) -> str:
    if stored is None:
        raise InvalidPayload(
            "the endpoint's key is required to set the endpoint up",
            pointer="/key",
            code="invalid_key",
        )
    # Whoever may change the URL cannot read the key: sending the stored key to a
    # host of their choosing, or in clear text where it went encrypted, would hand it over.
    new, given_for = httpx.URL(base_url), httpx.URL(stored.endpoint.base_url)
    if (new.scheme, new.host) != (given_for.scheme, given_for.host):
        raise InvalidPayload(
            "give the key again for a URL on another host or scheme: "
            "winback sends the stored key only where it was given for",
            pointer="/key",
            code="invalid_key",
        )
    return stored.endpoint.key


def issue_coupon(
    engine: Engine,
    client: OutboundClient,
    store: Store,
    *,
    rule_id: str,
    email: str | None = None,
    expires_at: datetime | None = None,
    policy: RetryPolicy | None = None,
) -> Coupon:
    """Make a unique code, record it, ask the store to create it, record how that ended.

    The code is written down before the store is called, so every code winback
    ever sent to a store is accounted for, even if the process dies mid-call.
    """
    config = endpoint_config(store)
    if config is None:
        raise EndpointMissing(
            "this store has no coupon endpoint: set one first (PUT /api/v1/coupons/endpoint)"
        )
    rule = rule_id.strip()
    if not rule or len(rule) > 255:
        raise InvalidPayload("rule_id must be 1 to 255 characters", pointer="/rule_id")
    email = _checked_email(email)
    coupon = _record_new_code(engine, store.id, config.prefix, rule, email, expires_at)
    request = CodeRequest(coupon.code, rule, email, expires_at)
    outcome = create_code(client, config.endpoint, request, policy or RetryPolicy())
    return _settle(engine, coupon, outcome)


def _checked_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    try:
        return _EMAIL.validate_python(email)
    except ValidationError as error:
        reason = str(error.errors()[0].get("msg", "not a valid email address"))
        raise InvalidPayload(reason, pointer="/email", code="invalid_email") from None


def _record_new_code(
    engine: Engine,
    store_id: str,
    prefix: str,
    rule_id: str,
    email: str | None,
    expires_at: datetime | None,
) -> Coupon:
    for _ in range(CODE_DRAWS):
        try:
            return coupon_rows.record_pending(
                engine,
                store_id=store_id,
                code=generate_code(prefix),
                rule_id=rule_id,
                email=email,
                expires_at=expires_at,
                issued_at=datetime.now(UTC),
            )
        except coupon_rows.CodeTaken:
            continue
    # Five collisions in a row at ~50 bits each means something else is wrong.
    raise Conflict("could not draw an unused code", code="coupon_code_exhausted")


def _settle(engine: Engine, coupon: Coupon, outcome: CallOutcome) -> Coupon:
    status = CREATED if outcome.created else FAILED
    settled = coupon_rows.settle(
        engine,
        coupon.store_id,
        coupon.id,
        status=status,
        error=outcome.reason,
        attempts=outcome.attempts,
    )
    log.info(
        "coupon issued" if outcome.created else "coupon not created",
        store_id=coupon.store_id,
        code=coupon.code,
        attempts=outcome.attempts,
        reason=outcome.reason,
    )
    return settled


def list_coupons(
    engine: Engine,
    store: Store,
    *,
    email: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[Coupon], str | None]:
    """The store's codes, newest first, by recipient and status."""
    if status is not None and status not in STATUSES:
        raise InvalidPayload(
            f"status must be one of {list(STATUSES)}", pointer="/status", code="invalid_query"
        )
    wanted = email_as_stored(email) if email else None
    return coupon_rows.page(
        engine, store.id, email=wanted, status=status, cursor=cursor, limit=limit
    )
