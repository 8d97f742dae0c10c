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

from winback.config import ConfigError

# Every SQLite database file begins with these 16 bytes (an empty file is a new one).
SQLITE_HEADER = b"SQLite format 3\x00"


def _fault(setting: str | None, problem: str) -> ConfigError:
    return ConfigError(f"{setting}: {problem}" if setting else problem)


def usable_directory(directory: Path, setting: str | None) -> None:
    """Make ``directory`` if need be and check that files can be made in it; raise
    ConfigError naming ``setting`` (the variable that chose it), the path and the fault."""
    shown = str(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
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
    writable, the file new, empty or a database); raise ConfigError otherwise."""
    usable_directory(path.parent, setting)
    shown = str(path)
    if path.is_dir():
        raise _fault(setting, f"the database file {shown!r} is a directory")
    try:
        with path.open("rb") as file:
            start = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise _fault(
            setting, f"the database file {shown!r} cannot be read: {error.strerror}"
        ) from None
    if start and start != SQLITE_HEADER:
        raise _fault(setting, f"the database file {shown!r} is not a SQLite database")
