"""Request dependencies: the runtime, and the store a read-API key belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from winback.errors import Unauthorized
from winback.runtime import Runtime
from winback.stores.service import Store, store_for_key


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def current_store(
    runtime: RuntimeDep,
    x_api_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Store:
    """The store whose key came in ``x-api-key`` or ``Authorization: Bearer``."""
    key = x_api_key
    if key is None and authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    if not key:
        raise Unauthorized("send the store's API key in x-api-key or Authorization: Bearer")
    return store_for_key(runtime.reader, key)


StoreDep = Annotated[Store, Depends(current_store)]
