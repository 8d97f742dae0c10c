"""A SQLite database's place checked before SQLite opens it: a fault is one sentence
naming the variable that chose the place, the path and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from winback.config import ConfigError, Settings
from winback.storage.files import not_a_database, usable_database_file, usable_directory


def test_a_missing_directory_is_made_and_left_as_it_was_found(tmp_path: Path) -> None:
    directory = tmp_path / "a" / "b"

    usable_directory(directory, "WINBACK_DATA_DIR")

    assert directory.is_dir() and list(directory.iterdir()) == []
    assert directory.stat().st_mode & 0o777 == 0o700


def test_a_directory_the_operator_made_keeps_its_mode(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    directory.mkdir(mode=0o750)

    usable_directory(directory, "WINBACK_DATA_DIR")

    assert directory.stat().st_mode & 0o777 == 0o750


def test_a_new_or_empty_database_file_is_usable(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()

    usable_database_file(tmp_path / "data" / "new.db", None)
    usable_database_file(tmp_path / "empty.db", None)

    # then the new file's directory is made, and nothing is created, written or left
    # behind: SQLite alone makes and fills the file
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data", "empty.db"]
    assert list((tmp_path / "data").iterdir()) == []
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_a_directory_that_cannot_be_written_is_named_with_the_reason() -> None:
    # (/proc exists and takes no file, even from root, whose permission bits say nothing)
    with pytest.raises(ConfigError) as refused:
        usable_directory(Path("/proc"), "WINBACK_DATA_DIR")

    assert str(refused.value).startswith(
        "WINBACK_DATA_DIR: the directory '/proc' cannot be written: "
    )


def test_a_directory_below_a_file_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").touch()

    with pytest.raises(ConfigError) as refused:
        usable_directory(tmp_path / "file" / "data", None)

    assert str(refused.value) == (
        f"the directory '{tmp_path}/file/data' cannot be made: Not a directory"
    )


def test_a_file_that_is_no_database_is_named_with_the_setting_that_chose_it(
    tmp_path: Path,
) -> None:
    by_data_dir = Settings(data_dir=tmp_path)
    by_url = Settings(database_url=f"sqlite:///{tmp_path / 'winback.db'}")

    faults = [
        str(not_a_database(url))
        for url in (
            by_data_dir.resolved_database_url,
            by_url.resolved_database_url,
            str(by_url.resolved_database_url),
        )
    ]

    problem = f"the database file '{tmp_path}/winback.db' is not a SQLite database"
    assert faults == [
        f"WINBACK_DATA_DIR: {problem}",
        f"WINBACK_DATABASE_URL: {problem}",
        problem,  # (a URL that came from no setting)
    ]
