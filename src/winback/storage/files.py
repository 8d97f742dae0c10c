"""The directories and SQLite files winback keeps its data in, checked before use.

SQLite's own word for each of these faults is "unable to open database file" or
"file is not a database", which names neither the file nor the setting; a
directory that cannot be made gives a traceback. An operator needs the variable,
the path and what is wrong with it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from winback.config import ConfigError, Sourced


def _fault(setting: str | None, problem: str) -> ConfigError:
    return ConfigError(f"{setting}: {problem}" if setting else problem)


def usable_directory(directory: Path, setting: str | None) -> None:
    """Make ``directory`` if need be (for its owner only) and check that files can be
    made in it; raise ConfigError naming ``setting`` (the variable that chose it), the
    path and the fault."""
    shown = str(directory)
    try:
        # (owner only: it holds shoppers' details and the stores' key hashes; a
        # directory the operator made keeps the mode they gave it)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise _fault(setting, f"{shown!r} is a file, not a directory") from None
    except OSError as error:
        raise _fault(setting, f"the directory {shown!r} cannot be made: {error.strerror}") from None
    try:
        # (the only sure test: the permission bits say nothing of a read-only mount,
        # and nothing at all to root)
        handle, probe = tempfile.mkstemp(prefix=".winback-write-check-", dir=directory)
    except OSError as error:
        raise _fault(
            setting, f"the directory {shown!r} cannot be written: {error.strerror}"
        ) from None
    os.close(handle)
    os.unlink(probe)


def usable_database_file(path: Path, setting: str | None) -> None:
    """Check that ``path`` can hold a SQLite database (its directory made and
    writable, and no directory in its place); raise ConfigError otherwise.

    What the file holds is not looked at here: a descriptor of a database file
    closed by a process that has it open through SQLite drops that process's locks
    on it (POSIX), so only SQLite reads it (see ``not_a_database``)."""
    usable_directory(path.parent, setting)
    if path.is_dir():
        raise _fault(setting, f"the database file {str(path)!r} is a directory")


def not_a_database(database_url: str) -> ConfigError:
    """What SQLite's "file is not a database" means for ``database_url``: the file,
    and the setting that chose it."""
    setting = database_url.setting if isinstance(database_url, Sourced) else None
    path = make_url(database_url).database
    return _fault(setting, f"the database file {path!r} is not a SQLite database")
