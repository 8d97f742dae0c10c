"""``winback coupon ...``: the store's coupon endpoint, issuing a code, listing codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from winback.commandline import fail, migrated_engine, print_json
from winback.config import load_settings
from winback.coupons.client import COUPONS_USER_AGENT, RetryPolicy
from winback.coupons.expiry import expiry_time
from winback.coupons.service import configure_endpoint, issue_coupon, list_coupons
from winback.errors import WinbackError
from winback.outbound.http import OutboundClient
from winback.stores.service import get_store

coupon_app = typer.Typer(
    help="Coupon codes: the store's endpoint, issuing, listing.", no_args_is_help=True
)

StoreOption = Annotated[str, typer.Option("--store", help="The store id")]


def _client() -> OutboundClient:
    return OutboundClient.configured(load_settings(), user_agent=COUPONS_USER_AGENT)


@coupon_app.command("endpoint")
def set_endpoint(
    store: StoreOption,
    url: Annotated[
        str | None, typer.Option(help="The store's base URL (winback adds /discounts)")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(help="The key winback sends as remarkety_api_key; again for a new host"),
    ] = None,
    prefix: Annotated[
        str | None, typer.Option(help="Codes start with this (default WB-; '' for none)")
    ] = None,
) -> None:
    """Set the store's coupon endpoint, after checking it answers as the contract says.

    Options left out keep their stored value; the first time, --url and --key are needed.
    """
    engine = migrated_engine()
    try:
        with _client() as client:
            config, answer = configure_endpoint(
                engine, client, get_store(engine, store), url=url, key=key, prefix=prefix
            )
    except WinbackError as error:
        fail(error.reason)
        return
    print_json({**config.to_dict(), "check": answer})


@coupon_app.command("issue")
def issue(
    store: StoreOption,
    rule: Annotated[str, typer.Option(help="The store's discount rule (template) id")],
    email: Annotated[str | None, typer.Option(help="The only customer allowed to use it")] = None,
    expires: Annotated[str | None, typer.Option(help="Valid for: 30m, 12h, 7d, 2w")] = None,
) -> None:
    """Issue a code: the store creates it, winback records it. Exit 1 if not created."""
    engine = migrated_engine()
    settings = load_settings()
    try:
        expires_at = expiry_time(expires_in=expires, expires_at=None, now=datetime.now(UTC))
        with _client() as client:
            coupon = issue_coupon(
                engine,
                client,
                get_store(engine, store),
                rule_id=rule,
                email=email,
                expires_at=expires_at,
                policy=RetryPolicy(max_seconds=3 * settings.outbound_timeout_seconds),
            )
    except WinbackError as error:
        fail(error.reason)
        return
    print_json(coupon.to_dict())
    if not coupon.can_be_sent:
        raise typer.Exit(code=1)


@coupon_app.command("list")
def list_codes(
    store: StoreOption,
    email: Annotated[str | None, typer.Option(help="Only codes for this address")] = None,
    status: Annotated[str | None, typer.Option(help="pending, created, failed or used")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """The store's codes, newest first."""
    engine = migrated_engine()
    try:
        found, _ = list_coupons(
            engine, get_store(engine, store), email=email, status=status, limit=limit
        )
    except WinbackError as error:
        fail(error.reason)
        return
    print_json([coupon.to_dict() for coupon in found])
