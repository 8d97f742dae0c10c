"""Request dependencies: the runtime, the store a read-API key belongs to, and one
value per query parameter and per member of a JSON body."""

from __future__ import annotations

import contextlib
from typing import Annotated

import orjson
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator

from winback.errors import InvalidPayload, Unauthorized
from winback.runtime import Runtime
from winback.stores.keys import by_any_key
from winback.stores.service import Store, store_for_key
from winback.web.json_members import count_members, repeated_member
from winback.web.openapi import STORE_BEARER, STORE_KEY


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def single_valued_query(request: Request) -> None:
    """Refuse a query parameter given twice (``?email=a&email=b``): which one the
    client meant cannot be told, and the framework would silently take the last."""
    names = [name for name, _ in request.query_params.multi_items()]
    for name in dict.fromkeys(names):
        given = names.count(name)
        if given > 1:
            raise InvalidPayload(
                f"the {name} query parameter was given {given} times; give it once",
                code="invalid_request",
                parameter=name,
            )


SINGLE_VALUED_QUERY = Depends(single_valued_query)


async def single_valued_members(request: Request) -> None:
    """Refuse a JSON body naming a member twice (``web/json_members.py``); the route
    reads the same body after (Starlette keeps it)."""
    if "json" not in request.headers.get("content-type", ""):
        return  # (an upload is streamed to disk, never held here)
    raw = await request.body()
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return  # (the route's own parsing says what is wrong with it)
    refusal = repeated_member(raw, count_members(value))
    if refusal is not None:
        raise refusal


# As a parameter after the key's (``_: OneValuePerMember``), so that a caller
# without a valid key is told that first.
OneValuePerMember = Annotated[None, Depends(single_valued_members)]


def _not_blank(value: str) -> str:
    # (trimmed as the intake trims what it keeps: an id sent as " 42 " is kept as "42")
    if not value.strip():
        raise ValueError("must not be empty (leave the parameter out instead)")
    return value.strip()


# A filter sent empty is a mistake in the caller's code, not a search for nothing.
Filter = Annotated[str, AfterValidator(_not_blank)]

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
    """The store whose key came in ``x-api-key`` or ``Authorization: Bearer``: either,
    if both came (one may be stale after a rotation), but not keys of two stores,
    whose data the caller would get by the order of its headers."""
    sent = (x_api_key, bearer.credentials if bearer else None)
    keys = list(dict.fromkeys(key.strip() for key in sent if key and key.strip()))
    if not keys:
        raise Unauthorized("send the store's API key in x-api-key or Authorization: Bearer")
    store = by_any_key(keys, lambda key: store_for_key(runtime.reader, key))
    for other in keys[1:]:
        with contextlib.suppress(Unauthorized):
            if store_for_key(runtime.reader, other).id != store.id:
                raise InvalidPayload(
                    "x-api-key and Authorization: Bearer hold the keys of two stores;"
                    " send one store's key",
                    code="invalid_request",
                )
    return store


StoreDep = Annotated[Store, Depends(current_store)]
