"""The HTTP floor: the cheapest webhook endpoint the same stack can serve.

FastAPI under uvicorn (uvloop, httptools), a POST route on winback's path that
reads the whole body and answers a small JSON object, rendered with orjson as
winback's own responses are. No parsing, no storage: whatever winback does
beyond this is the cost of its work, and the benchmark reports its throughput
as a share of this one's, measured with the same load in the same run.
"""

from __future__ import annotations

import itertools

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

app = FastAPI(title="winback benchmark floor")
_counter = itertools.count(1)


@app.post("/webhooks/store/{store_id}")
async def receive(request: Request, store_id: str) -> Response:
    body = await request.body()
    payload = {"status": "accepted", "event_id": next(_counter), "bytes": len(body)}
    return Response(orjson.dumps(payload), media_type="application/json")


@app.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")
