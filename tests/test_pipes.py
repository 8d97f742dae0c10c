"""Messages from a child process: in order, whole, and kept apart from what it prints."""

from __future__ import annotations

import subprocess
import sys

import pytest

from winback.pipes import ChildStopped, child_messages

# A child that writes three messages, prints a warning by mistake, then ends.
_WRITER = "tests.pipes_child"


def test_messages_arrive_whole_and_in_order_and_a_print_stays_out() -> None:
    with child_messages([_WRITER, "3"], what="test writer", queued=2) as messages:
        received = [messages.next() for _ in range(3)]
        with pytest.raises(
            ChildStopped, match=r"the test writer process stopped \(exit status 0\)"
        ):
            messages.next()
    assert received == [
        ("message", 0, "x" * 0),
        ("message", 1, "x" * 100_000),
        ("message", 2, "x" * 200_000),
    ]


def test_what_the_child_prints_goes_to_standard_error() -> None:
    child = subprocess.run([sys.executable, "-m", _WRITER, "1"], capture_output=True, check=True)
    assert b"a library warning" in child.stderr
    assert b"a library warning" not in child.stdout
