"""The call to the store's ``/discounts`` endpoint, and what its answer means.

A code counts as created only on a 200 whose JSON says ``is_success: true``.
Network trouble, timeouts, 408, 425, 429 and 5xx are retried with exponential
back-off and full jitter for a bounded time; everything else (a refusal, a 401,
a 404, HTML, a JSON of another shape) ends at once as a failure with the reason
(worded in ``reasons``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_before_delay,
    wait_random_exponential,
)

from winback.coupons.reasons import (
    KEY_REFUSED_STATUSES,
    THE_ENDPOINT,
    excerpt,
    failure_reason,
    status_line,
    who_answered,
)
from winback.outbound.errors import RetryableError, TerminalError
from winback.outbound.http import OutboundClient, Reply

# How winback's calls show in the store's server logs.
COUPONS_USER_AGENT = "winback-coupons"


@dataclass(frozen=True)
class Endpoint:
    """Where a store takes coupon calls: its base URL and the key winback sends."""

    base_url: str
    key: str = field(repr=False)

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/discounts"


@dataclass(frozen=True)
class CodeRequest:
    """The code winback asks the store to create from its discount rule ``rule_id``."""

    code: str
    rule_id: str
    email: str | None = None
    expires_at: datetime | None = None

    def fields(self) -> dict[str, str]:
        values = {"code": self.code, "rule_id": self.rule_id, "templateId": self.rule_id}
        if self.expires_at is not None:
            values["expiration"] = self.expires_at.isoformat()
        if self.email is not None:
            values["email"] = self.email
        return values


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying a temporary failure, and how far apart."""

    max_seconds: float = 30.0
    first_wait: float = 0.5
    max_wait: float = 8.0


@dataclass(frozen=True)
class CallOutcome:
    """How the call ended: created, or not and why; with the number of attempts made."""

    created: bool
    reason: str | None
    attempts: int


class StoreRefused(Exception):
    """The store answered, and the answer means the code was not created (no retry)."""

    def __init__(
        self, reason: str, *, in_contract_shape: bool = False, key_refused: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        # True for a 200 with ``is_success: false``: the store speaks the contract.
        self.in_contract_shape = in_contract_shape
        # True for a 401 or 403 from the endpoint itself: the key is what to fix.
        self.key_refused = key_refused


def call_once(client: OutboundClient, endpoint: Endpoint, request: CodeRequest) -> None:
    """One call; returns if the code was created, raises ``StoreRefused`` or ``RetryableError``."""
    fields = request.fields()
    try:
        reply = client.request(
            "POST",
            endpoint.url,
            json=fields,
            params={**fields, "remarkety_api_key": endpoint.key},
            headers={"Accept": "application/json"},
        )
    except TerminalError as error:
        reason = failure_reason(endpoint.url, error, key=endpoint.key)
        by_the_endpoint = who_answered(endpoint.url, error.url) == THE_ENDPOINT
        key_refused = by_the_endpoint and error.status in KEY_REFUSED_STATUSES
        raise StoreRefused(reason, key_refused=key_refused) from None
    answer = read_answer(endpoint, reply)
    if answer.get("is_success") is not True:
        raise StoreRefused(refusal_message(answer), in_contract_shape=True)


def read_answer(endpoint: Endpoint, reply: Reply) -> dict[str, Any]:
    """The store's JSON answer in the contract's shape, or ``StoreRefused`` saying what it was."""
    who = who_answered(endpoint.url, reply.url)
    if reply.status != 200:
        raise StoreRefused(
            f"{who} answered {status_line(reply.status)}, not the 200 the contract asks for"
        )
    shown = excerpt(reply.body, endpoint.key)
    try:
        answer = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        kind = reply.headers.get("Content-Type", "no content type")
        raise StoreRefused(f"{who} answered HTTP 200 but not JSON ({kind}): {shown}") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("is_success"), bool):
        raise StoreRefused(
            f"{who} answered HTTP 200 but its JSON has no boolean is_success: {shown}"
        )
    return answer


def refusal_message(answer: dict[str, Any]) -> str:
    message = answer.get("error_message")
    if isinstance(message, str) and message.strip():
        return message.strip()[:1000]
    return "the store refused the code without an error_message"


def _wait(policy: RetryPolicy) -> Any:
    jitter = wait_random_exponential(multiplier=policy.first_wait, max=policy.max_wait)

    def wait(state: RetryCallState) -> float:
        # A store that says when to come back (429/503 Retry-After) is listened to,
        # within the same bound as the back-off.
        chosen = float(jitter(state))
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableError) and error.retry_after is not None:
            chosen = max(chosen, min(error.retry_after, policy.max_wait))
        return chosen

    return wait


def create_code(
    client: OutboundClient, endpoint: Endpoint, request: CodeRequest, policy: RetryPolicy
) -> CallOutcome:
    """Ask the store to create the code, retrying temporary failures within the policy."""
    retrying = Retrying(
        retry=retry_if_exception_type(RetryableError),
        wait=_wait(policy),
        stop=stop_before_delay(policy.max_seconds),
    )
    try:
        retrying(call_once, client, endpoint, request)
    except StoreRefused as refused:
        return CallOutcome(False, refused.reason, _attempts(retrying))
    except RetryError as gave_up:
        last = gave_up.last_attempt.exception()
        if isinstance(last, RetryableError):
            cause = failure_reason(endpoint.url, last, key=endpoint.key)
        else:
            cause = str(last)
        attempts = _attempts(retrying)
        reason = f"gave up after {attempts} attempts in {policy.max_seconds:g}s: {cause}"
        return CallOutcome(False, reason, attempts)
    return CallOutcome(True, None, _attempts(retrying))


def _attempts(retrying: Retrying) -> int:
    return int(retrying.statistics.get("attempt_number", 1))
