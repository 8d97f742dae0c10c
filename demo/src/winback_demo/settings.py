"""The shop's settings, from ``WINBACK_DEMO_*`` environment variables with laptop defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ShopSettings:
    """Where the shop keeps its data and listens, and how it reaches winback."""

    data_dir: Path = Path("demo-data/shop")
    host: str = "127.0.0.1"
    port: int = 8100
    # winback's base URL: webhooks go there and pages load track.js from it.
    winback_url: str = "http://127.0.0.1:8000"
    store_id: str = ""
    api_key: str = field(default="", repr=False)
    # The key winback must send to this shop's /discounts endpoint.
    coupons_key: str = field(default="demo-coupons-key", repr=False)
    session_secret: str = field(default="", repr=False)
    currency: str = "USD"
    # A demo wants to show recovery within seconds; a real store keeps the kit's defaults.
    outbox_backoff_cap: float = 5.0

    @property
    def public_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "shop.sqlite3"

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "winback-outbox.sqlite3"

    @property
    def feed_path(self) -> Path:
        return self.data_dir / "feed.csv"


def load_settings(env: Mapping[str, str] | None = None) -> ShopSettings:
    source = os.environ if env is None else env
    data_dir = Path(source.get("WINBACK_DEMO_DATA_DIR", "demo-data/shop"))
    return ShopSettings(
        data_dir=data_dir,
        host=source.get("WINBACK_DEMO_HOST", "127.0.0.1"),
        port=int(source.get("WINBACK_DEMO_PORT", "8100")),
        winback_url=source.get("WINBACK_DEMO_WINBACK_URL", "http://127.0.0.1:8000").rstrip("/"),
        store_id=source.get("WINBACK_DEMO_STORE_ID", ""),
        api_key=source.get("WINBACK_DEMO_API_KEY", ""),
        coupons_key=source.get("WINBACK_DEMO_COUPONS_KEY", "demo-coupons-key"),
        session_secret=source.get("WINBACK_DEMO_SESSION_SECRET", ""),
        currency=source.get("WINBACK_DEMO_CURRENCY", "USD"),
        outbox_backoff_cap=float(source.get("WINBACK_DEMO_OUTBOX_BACKOFF_CAP", "5")),
    )
