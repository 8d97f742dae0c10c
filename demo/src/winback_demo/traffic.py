"""Seeded shoppers for the demo: they browse, sign up, fill carts, abandon some, buy others.

Plain HTTP against the shop, the way a browser without JavaScript would shop, so
everything winback receives goes through the shop's own integration (the outbox).
The same seed gives the same shoppers and the same choices.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from winback_demo.catalog import SEED

FIRST_NAMES = [
    "Ada",
    "Bruno",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farah",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kira",
    "Luis",
    "Maya",
    "Noor",
    "Oskar",
    "Priya",
    "Quinn",
    "Rosa",
]
LAST_NAMES = [
    "Lovelace",
    "Silva",
    "Martin",
    "Petrov",
    "Rossi",
    "Haddad",
    "Berg",
    "Sato",
    "Novak",
    "Park",
    "Tanaka",
    "Garcia",
    "Cohen",
    "Khan",
    "Lind",
    "Rao",
    "Moss",
]
PASSWORD = "trailhead-demo"


@dataclass(frozen=True)
class Shopper:
    first_name: str
    last_name: str
    email: str


@dataclass
class TrafficReport:
    visitors: int = 0
    signed_up: int = 0
    carts: int = 0
    abandoned: int = 0
    orders: int = 0


def shoppers(seed: int, count: int) -> list[Shopper]:
    rng = random.Random(seed)
    found = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        found.append(Shopper(first, last, f"{first}.{last}.{seed}-{n}@example.com".lower()))
    return found


def run_traffic(
    shop_url: str,
    *,
    seed: int = 7,
    count: int = 12,
    pause: float = 0.3,
    say: Callable[[str], None] = print,
) -> TrafficReport:
    """Send ``count`` shoppers through the shop, one after the other."""
    rng = random.Random(seed)
    report = TrafficReport()
    for shopper in shoppers(seed, count):
        with httpx.Client(base_url=shop_url, follow_redirects=True, timeout=30) as client:
            visit(client, shopper, rng, report, pause, say)
    say(
        f"traffic done: {report.visitors} visitors, {report.signed_up} sign-ups, "
        f"{report.carts} carts, {report.abandoned} abandoned, {report.orders} orders"
    )
    return report


def visit(
    client: httpx.Client,
    shopper: Shopper,
    rng: random.Random,
    report: TrafficReport,
    pause: float,
    say: Callable[[str], None],
) -> None:
    report.visitors += 1
    browse = rng.sample(SEED, rng.randint(1, 4))
    _get(client, "/", pause, rng)
    for product in browse:
        _get(client, f"/products/{product[1]}", pause, rng)
    if rng.random() < 0.25:
        say(f"{shopper.email}: browsed {len(browse)} products and left")
        return
    _sign_up_or_log_in(client, shopper, report)
    for product in rng.sample(browse, rng.randint(1, len(browse))):
        client.post("/cart/add", data={"product_id": product[0], "quantity": rng.randint(1, 2)})
        _sleep(pause, rng)
    report.carts += 1
    if rng.random() < 0.4:
        report.abandoned += 1
        say(f"{shopper.email}: left a cart behind")
        return
    answer = client.post("/checkout", data={"discount_code": ""})
    if answer.status_code == 200 and "/orders/" in str(answer.url):
        report.orders += 1
        say(f"{shopper.email}: bought ({answer.url.path})")
    else:
        say(f"{shopper.email}: checkout failed ({answer.status_code})")


def _sign_up_or_log_in(client: httpx.Client, shopper: Shopper, report: TrafficReport) -> None:
    answer = client.post(
        "/signup",
        data={
            "first_name": shopper.first_name,
            "last_name": shopper.last_name,
            "email": shopper.email,
            "password": PASSWORD,
            "accepts_marketing": "on",
        },
    )
    if answer.status_code == 200:
        report.signed_up += 1
        return
    # Seen on an earlier run with the same seed: the account exists.
    client.post("/login", data={"email": shopper.email, "password": PASSWORD})


def _get(client: httpx.Client, path: str, pause: float, rng: random.Random) -> None:
    client.get(path)
    _sleep(pause, rng)


def _sleep(pause: float, rng: random.Random) -> None:
    if pause > 0:
        time.sleep(pause * rng.uniform(0.5, 1.5))
