"""What every winback command shares: its database, its JSON output, and how it
says no (one line on stderr, exit status 2)."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer
from sqlalchemy import Engine

from winback.config import Settings, load_settings
from winback.errors import NotFound
from winback.storage.engine import make_engine
from winback.storage.migrate import upgrade_to_head
from winback.stores.service import get_store


def migrated_engine(settings: Settings | None = None) -> Engine:
    """The configured database, its schema brought up to date first."""
    settings = settings or load_settings()
    engine = make_engine(settings.resolved_database_url)
    upgrade_to_head(engine)
    return engine


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def fail(reason: str) -> NoReturn:
    typer.echo(f"error: {reason}", err=True)
    raise typer.Exit(code=2)


def require_store(engine: Engine, store_id: str) -> None:
    """Go on only if the store exists."""
    try:
        get_store(engine, store_id)
    except NotFound as error:
        fail(error.reason)
