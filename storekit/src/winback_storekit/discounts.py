"""The store's `/discounts` endpoint: winback asks the store to create a coupon code.

This module holds the framework-free part: check the key, read the parameters from
the JSON body and the query string, call the store's `create_discount`, and shape
the answer winback expects. `discount_apps` wraps it as ASGI and WSGI apps; a store
on another framework can call `answer_discount_request` from its own view.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

MAX_BODY_BYTES = 64 * 1024

logger = logging.getLogger("winback_storekit.discounts")


@dataclass(frozen=True)
class DiscountRequest:
    """A coupon winback wants: `code` made from the store's discount template `rule_id`.

    `expiration` is time-zone aware (a time without a zone is read as UTC); `email`,
    when set, is the only customer allowed to use the code.
    """

    code: str
    rule_id: str
    expiration: dt.datetime | None = None
    email: str | None = None


class DiscountRejected(Exception):
    """Raised by the store's `create_discount` to refuse a code; the message goes to winback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DiscountCallError(Exception):
    """A call winback should not have made this way: its HTTP status and the reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class DiscountAnswer:
    """The HTTP answer to send back: a status and a JSON body."""

    status: int
    body: dict[str, Any]

    def json_bytes(self) -> bytes:
        """The body as UTF-8 JSON."""
        return json.dumps(self.body).encode("utf-8")

    @classmethod
    def success(cls) -> DiscountAnswer:
        """The code was created."""
        return cls(200, {"is_success": True})

    @classmethod
    def failure(cls, status: int, message: str) -> DiscountAnswer:
        """The code was not created, and why."""
        return cls(status, {"is_success": False, "error_message": message})


def check_api_key(query: Mapping[str, list[str]], api_key: str) -> None:
    """Refuse a call whose `remarkety_api_key` is missing or wrong, in constant time."""
    given = (query.get("remarkety_api_key") or [""])[0]
    if not hmac.compare_digest(given.encode("utf-8"), api_key.encode("utf-8")):
        raise DiscountCallError(401, "missing or wrong remarkety_api_key")


def read_discount_request(query: Mapping[str, list[str]], body: bytes) -> DiscountRequest:
    """Build the request from the JSON body, falling back to the query string per field."""
    fields = _json_fields(body)

    def value(*names: str) -> str | None:
        for name in names:
            found = fields.get(name)
            if found is None and query.get(name):
                found = query[name][0]
            if found is not None and str(found).strip():
                return str(found).strip()
        return None

    code = value("code")
    rule_id = value("rule_id", "templateId")
    if code is None:
        raise DiscountCallError(400, "code is required")
    if rule_id is None:
        raise DiscountCallError(400, "rule_id (or templateId) is required")
    return DiscountRequest(code, rule_id, _expiration(value("expiration")), value("email"))


def _json_fields(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        fields = json.loads(body)
    except ValueError as exc:
        raise DiscountCallError(400, f"body is not valid JSON: {exc}") from exc
    if not isinstance(fields, dict):
        raise DiscountCallError(400, "body must be a JSON object")
    return fields


def _expiration(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise DiscountCallError(400, f"expiration is not an ISO 8601 time: {text!r}") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def prepare_discount_call(
    query_string: str, body: bytes, api_key: str, method: str = "POST"
) -> DiscountRequest:
    """Check a raw call (method, key, parameters) and return the request it makes."""
    if method.upper() != "POST":
        raise DiscountCallError(405, "use POST")
    query = parse_qs(query_string, keep_blank_values=True)
    check_api_key(query, api_key)
    if len(body) > MAX_BODY_BYTES:
        raise DiscountCallError(413, "body too large")
    return read_discount_request(query, body)


def answer_discount_request(
    query_string: str,
    body: bytes,
    api_key: str,
    create_discount: Callable[[DiscountRequest], None],
    method: str = "POST",
) -> DiscountAnswer:
    """Handle one call to `/discounts` end to end, for any web framework."""
    try:
        request = prepare_discount_call(query_string, body, api_key, method)
    except DiscountCallError as exc:
        return DiscountAnswer.failure(exc.status, exc.message)
    try:
        create_discount(request)
    except DiscountRejected as exc:
        return rejected_answer(request, exc)
    return DiscountAnswer.success()


def rejected_answer(request: DiscountRequest, exc: DiscountRejected) -> DiscountAnswer:
    """The answer for a code the store refused: a 200 that says it was not created."""
    logger.info("discount code %s (rule %s) refused: %s", request.code, request.rule_id, exc)
    return DiscountAnswer.failure(200, exc.message)
