"""Product pictures drawn on the fly, so the shop needs no image files."""

from __future__ import annotations

import hashlib
from html import escape


def product_svg(product_id: str) -> str:
    digest = hashlib.sha256(product_id.encode()).digest()
    hue = digest[0] * 360 // 256
    label = escape(product_id[:12])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">'
        f'<rect width="320" height="240" fill="hsl({hue},55%,78%)"/>'
        f'<circle cx="160" cy="110" r="60" fill="hsl({hue},45%,55%)"/>'
        f'<text x="160" y="215" font-family="sans-serif" font-size="20" text-anchor="middle" '
        f'fill="#333">#{label}</text></svg>'
    )
