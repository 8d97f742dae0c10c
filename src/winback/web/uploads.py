"""Files sent as a request's body (a feed, a CSV import): spooled to disk as they arrive."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request

from winback.errors import InvalidPayload, PayloadTooLarge


async def save_body(request: Request, path: Path, *, max_bytes: int, what: str) -> int:
    """Write the body to ``path`` chunk by chunk (memory stays small); its size.

    Too large or empty, the file is removed and the sender told why; ``what``
    names the file in the message ("a feed file", "an import").
    """
    size = 0
    try:
        with path.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"{what} may have at most {max_bytes} bytes")
                out.write(chunk)
        if size == 0:
            raise InvalidPayload(f"the body is empty: send {what} as the body", pointer="")
    except BaseException:
        discard(path)
        raise
    return size


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)
