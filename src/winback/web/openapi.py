"""What ``/openapi.json`` says: winback's error shape, its keys, no answer it never gives.

Routes declare their answers with ``answers(Model, 401, 404)``. FastAPI adds a 422
"HTTPValidationError" to every route with parameters, but winback answers a
malformed request with 400 in its own shape (``web/errors.py``), so the document
is rebuilt without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

# The webhook takes the key in x-token too; the read API's schemes come from web/deps.py.
STORE_TOKEN = "storeToken"
STORE_KEY = "storeKey"
STORE_BEARER = "storeBearer"
_WEBHOOK_SCHEMES = {
    STORE_TOKEN: {
        "type": "apiKey",
        "in": "header",
        "name": "x-token",
        "description": "The store's secret API key (webhooks).",
    },
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable and machine-readable", examples=["invalid_payload"])
    reason: str = Field(description="For humans")
    pointer: str | None = Field(
        default=None,
        description="The field at fault, as a JSON pointer (present when one is)",
        examples=["/customer/email"],
    )
    parameter: str | None = Field(
        default=None, description="The query, path or header parameter at fault (if one is)"
    )


class ErrorBody(BaseModel):
    """Every error winback answers has this shape."""

    error: ErrorDetail


_ERRORS: dict[int, str] = {
    400: "Malformed: a parameter, the body or a field of it; the error says which and why.",
    401: "No key, a wrong key, or another store's key.",
    403: "Not allowed from here.",
    404: "Nothing with that id in this store.",
    409: "Ambiguous: several records match; name one by its id.",
    413: "The body is larger than the limit.",
    415: "The content type is not one this route takes.",
    422: "The file cannot be imported as it is; nothing was recorded.",
    429: "Rate limit exceeded; Retry-After says when to come back.",
    502: "The store's server did not do what was asked.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def error_responses(
    *statuses: int, reasons: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The given error statuses, each answered with ``ErrorBody``; ``reasons`` says when,
    where a route means something more precise than the usual reason."""
    declared: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description = (reasons or {}).get(status, _ERRORS[status])
        declared[status] = {"model": ErrorBody, "description": description}
        if status == 429:
            declared[status]["headers"] = _RETRY_AFTER
    return declared


def answers(
    model: type[BaseModel],
    *errors: int,
    description: str = "OK",
    reasons: Mapping[int, str] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """A route's 200 (``model``) and its errors, for ``responses=``."""
    ok: dict[int | str, dict[str, Any]] = {200: {"model": model, "description": description}}
    return ok | error_responses(*errors, reasons=reasons)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        app.openapi_schema = _without_validation_error(_with_webhook_schemes(document))
    return app.openapi_schema


def _with_webhook_schemes(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(_WEBHOOK_SCHEMES)
    return document


def _without_validation_error(document: dict[str, Any]) -> dict[str, Any]:
    validation_error = "#/components/schemas/HTTPValidationError"
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            schema = responses.get("422", {}).get("content", {}).get("application/json", {})
            if schema.get("schema", {}).get("$ref") == validation_error:
                del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return document
