"""The tracking script as winback serves it, and the snippet a store pastes into its pages."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources

SCRIPT_FILE = "track.js"


@dataclass(frozen=True)
class Script:
    """track.js, compressed once; ``version`` changes whenever its bytes do."""

    body: bytes
    gzipped: bytes
    version: str


@functools.cache
def tracking_script() -> Script:
    body = (resources.files("winback.tracking") / "static" / SCRIPT_FILE).read_bytes()
    return Script(
        body=body,
        # mtime=0: the same script always compresses to the same bytes.
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        version=hashlib.sha256(body).hexdigest()[:16],
    )


def snippet(store_id: str, base_url: str) -> str:
    """What a store puts on every page, before its own ``_rmData.push`` calls."""
    # Store ids are plain tokens; anything else is written as an escaped JS string.
    plain = re.fullmatch(r"[A-Za-z0-9_-]+", store_id) is not None
    quoted = f"'{store_id}'" if plain else json.dumps(store_id).replace("</", "<\\/")
    return (
        "<script>\n"
        "  var _rmData = _rmData || [];\n"
        f"  _rmData.push(['setStoreKey', {quoted}]);\n"
        "</script>\n"
        f'<script async src="{base_url.rstrip("/")}/track.js"></script>\n'
    )
