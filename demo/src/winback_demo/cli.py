"""``winback-demo``: serve the shop alone, generate traffic, or run everything at once."""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import threading
from pathlib import Path

import uvicorn

from winback_demo.launcher import (
    LaunchError,
    connect_shop,
    create_or_reuse_store,
    shop_process,
    winback_process,
)
from winback_demo.settings import load_settings
from winback_demo.traffic import run_traffic
from winback_demo.web import create_app


def serve(_args: argparse.Namespace) -> None:
    """The shop alone, configured from WINBACK_DEMO_* variables."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # One line per delivered webhook would drown what matters: the outbox's warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = load_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def traffic(args: argparse.Namespace) -> None:
    run_traffic(args.shop_url, seed=args.seed, count=args.shoppers, pause=args.pause)


def run(args: argparse.Namespace) -> None:
    """winback and the shop together, connected; optionally with seeded traffic."""
    data_dir = Path(args.data_dir).resolve()
    winback = winback_process(data_dir, args.winback_port)
    winback_url = f"http://127.0.0.1:{args.winback_port}"
    shop_url = f"http://127.0.0.1:{args.shop_port}"
    coupons_key = _coupons_key(data_dir)
    print(f"starting winback on {winback_url} (data in {data_dir})")
    winback.start()
    shop = None
    try:
        connection = create_or_reuse_store(data_dir, args.winback_port)
        shop = shop_process(data_dir, args.shop_port, args.winback_port, connection, coupons_key)
        print(f"starting the shop on {shop_url}")
        shop.start()
        done = connect_shop(winback_url, connection, shop_url, coupons_key)
        print(_banner(winback_url, shop_url, connection.store_id, connection.api_key, done))
        if args.traffic:
            run_traffic(shop_url, seed=args.seed, count=args.shoppers, pause=args.pause)
        _wait_for_stop(winback, shop)
    except LaunchError as error:
        print(f"error: {error}")
        raise SystemExit(1) from None
    finally:
        for process in (shop, winback):
            if process is not None:
                process.stop()


def _coupons_key(data_dir: Path) -> str:
    path = data_dir / "coupons-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _banner(winback_url: str, shop_url: str, store_id: str, api_key: str, done: list[str]) -> str:
    steps = "\n".join(f"  - {line}" for line in done)
    return f"""
The demo is running.
  shop     : {shop_url}
  winback  : {winback_url}
  store id : {store_id}
  API key  : {api_key}
{steps}

See what winback knows:
  curl -H 'x-api-key: {api_key}' {winback_url}/api/v1/orders
  curl -H 'x-api-key: {api_key}' {winback_url}/api/v1/events
Issue a coupon (the shop creates it):
  curl -X POST -H 'x-api-key: {api_key}' -H 'content-type: application/json' \\
    {winback_url}/api/v1/coupons -d '{{"rule_id": "TEN_PERCENT", "expires_in": "7d"}}'
Press Ctrl-C to stop both.
"""


def _wait_for_stop(*processes: object) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            if not all(getattr(process, "running", False) for process in processes):
                print("a process stopped; shutting down")
                return
    except KeyboardInterrupt:
        print("stopping")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="winback-demo", description=__doc__)
    commands = top.add_subparsers(required=True)
    serve_command = commands.add_parser("serve", help="serve the shop alone")
    serve_command.set_defaults(handler=serve)

    traffic_command = commands.add_parser("traffic", help="send seeded shoppers to a shop")
    traffic_command.add_argument("--shop-url", default="http://127.0.0.1:8100")
    traffic_command.set_defaults(handler=traffic)

    run_command = commands.add_parser("run", help="winback and the shop, connected")
    run_command.add_argument("--data-dir", default="demo-data")
    run_command.add_argument("--winback-port", type=int, default=8000)
    run_command.add_argument("--shop-port", type=int, default=8100)
    run_command.add_argument("--traffic", action="store_true", help="send seeded shoppers")
    run_command.set_defaults(handler=run)
    for command in (traffic_command, run_command):
        command.add_argument("--seed", type=int, default=7)
        command.add_argument("--shoppers", type=int, default=12)
        command.add_argument("--pause", type=float, default=0.3, help="seconds between clicks")
    return top


def main() -> None:
    args = parser().parse_args()
    args.handler(args)
