"""The `/discounts` endpoint as a ready ASGI app and a ready WSGI app.

Route `/discounts` to either in the store's own application (Starlette or FastAPI:
`app.add_route("/discounts", app, methods=["POST"])`; Flask: werkzeug's
`DispatcherMiddleware`) or serve it on its own; it answers whatever the path.
A failure inside the store's `create_discount` other than `DiscountRejected`
answers 500, which winback treats as temporary and retries.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http import HTTPStatus
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from winback_storekit.discounts import (
    MAX_BODY_BYTES,
    DiscountAnswer,
    DiscountCallError,
    DiscountRejected,
    DiscountRequest,
    prepare_discount_call,
    rejected_answer,
)

logger = logging.getLogger("winback_storekit.discounts")

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
CreateDiscount = Callable[[DiscountRequest], None]
CreateDiscountAsync = Callable[[DiscountRequest], Awaitable[None]]

_INTERNAL_ERROR = DiscountAnswer.failure(500, "the store could not create the code")


class DiscountsASGIApp:
    """An ASGI app answering winback's coupon calls with the store's `create_discount`.

    `create_discount` may be a plain function (run in a worker thread, so it may
    block on the store's database) or a coroutine function.
    """

    def __init__(self, api_key: str, create_discount: CreateDiscount | CreateDiscountAsync) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self._api_key = api_key
        self._create = create_discount

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _answer_lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"the discounts app serves HTTP only, not {scope['type']}")
        answer = await self._answer(scope, receive)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.json_bytes()})

    async def _answer(self, scope: Scope, receive: Receive) -> DiscountAnswer:
        try:
            body = await _read_body(receive)
            query_string = bytes(scope.get("query_string", b"")).decode("latin-1")
            request = prepare_discount_call(query_string, body, self._api_key, scope["method"])
        except DiscountCallError as exc:
            return DiscountAnswer.failure(exc.status, exc.message)
        try:
            await self._call_create(request)
        except DiscountRejected as exc:
            return rejected_answer(request, exc)
        except Exception:
            # The store's code failed unexpectedly: log it here, tell winback to retry.
            logger.exception("create_discount failed for code %s", request.code)
            return _INTERNAL_ERROR
        return DiscountAnswer.success()

    async def _call_create(self, request: DiscountRequest) -> None:
        if inspect.iscoroutinefunction(self._create):
            await self._create(request)
            return
        result = await asyncio.to_thread(self._create, request)
        if inspect.isawaitable(result):
            await result


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = bytes(message.get("body", b""))
        chunks.append(chunk)
        size += len(chunk)
        # One byte past the limit is enough for the size check to refuse it.
        if size > MAX_BODY_BYTES or not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _answer_lifespan(receive: Receive, send: Send) -> None:
    # Served on its own, the app has nothing to start or stop, but must say so.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class DiscountsWSGIApp:
    """A WSGI app answering winback's coupon calls with the store's `create_discount`."""

    def __init__(self, api_key: str, create_discount: CreateDiscount) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self._api_key = api_key
        self._create = create_discount

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = self._answer(environ)
        body = answer.json_bytes()
        start_response(
            f"{answer.status} {HTTPStatus(answer.status).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _answer(self, environ: WSGIEnvironment) -> DiscountAnswer:
        try:
            body = _read_wsgi_body(environ)
            request = prepare_discount_call(
                environ.get("QUERY_STRING", ""), body, self._api_key, environ["REQUEST_METHOD"]
            )
        except DiscountCallError as exc:
            return DiscountAnswer.failure(exc.status, exc.message)
        try:
            self._create(request)
        except DiscountRejected as exc:
            return rejected_answer(request, exc)
        except Exception:
            # The store's code failed unexpectedly: log it here, tell winback to retry.
            logger.exception("create_discount failed for code %s", request.code)
            return _INTERNAL_ERROR
        return DiscountAnswer.success()


def _read_wsgi_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise DiscountCallError(400, "bad Content-Length") from exc
    if length <= 0:
        return b""
    # One byte past the limit is enough for the size check to refuse it.
    return bytes(environ["wsgi.input"].read(min(length, MAX_BODY_BYTES + 1)))
