"""Request dependencies: the runtime, and the store a read-API key belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from winback.errors import Unauthorized
from winback.runtime import Runtime
from winback.stores.keys import by_any_key
from winback.stores.service import Store, store_for_key
from winback.web.openapi import STORE_BEARER, STORE_KEY


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

# Either one will do; they are security schemes so that /openapi.json says so.
# auto_error=False: a missing key is answered below, in winback's own error shape.
_api_key = APIKeyHeader(
    name="x-api-key",
    scheme_name=STORE_KEY,
    description="The store's secret API key.",
    auto_error=False,
)
_bearer = HTTPBearer(
    scheme_name=STORE_BEARER,
    description="The store's secret API key as a bearer token.",
    auto_error=False,
)


def current_store(
    runtime: RuntimeDep,
    x_api_key: Annotated[str | None, Security(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Store:
    """The store whose key came in ``x-api-key`` or ``Authorization: Bearer`` (either,
    if both came)."""
    sent = (x_api_key, bearer.credentials if bearer else None)
    keys = [key for key in sent if key and key.strip()]
    if not keys:
        raise Unauthorized("send the store's API key in x-api-key or Authorization: Bearer")
    return by_any_key(keys, lambda key: store_for_key(runtime.reader, key))


StoreDep = Annotated[Store, Depends(current_store)]
