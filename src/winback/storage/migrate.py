"""Bring a database to the newest schema with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

from winback.config import ConfigError
from winback.storage.engine import reader

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaAhead(ConfigError):
    """The database was migrated by a newer winback, whose revisions this one lacks.

    A ConfigError (one line, exit status 2): like a bad setting, it is the operator's
    to fix, by running the newer version (or rolling the database back with it).
    """


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every migration not yet applied; safe to call at each start."""
    config = alembic_config(engine)
    try:
        command.upgrade(config, "head")
    except CommandError:
        # (looked into only once the upgrade failed: each start pays nothing for it)
        _refuse_a_newer_schema(engine, ScriptDirectory.from_config(config))
        raise


def _refuse_a_newer_schema(engine: Engine, scripts: ScriptDirectory) -> None:
    with reader(engine).connect() as conn:
        stored = MigrationContext.configure(conn).get_current_heads()
    known = {script.revision for script in scripts.walk_revisions()}
    unknown = [revision for revision in stored if revision not in known]
    if unknown:
        raise SchemaAhead(
            f"the database's schema (revision {', '.join(unknown)}) is newer than this"
            f" winback's (latest revision {scripts.get_current_head()}): run the newer"
            " version of winback"
        ) from None
