"""JSON responses rendered with orjson (exact decimals go out as strings beforehand)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JSONBody(JSONResponse):
    """A JSONResponse, so that FastAPI documents routes answering with it as JSON."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
