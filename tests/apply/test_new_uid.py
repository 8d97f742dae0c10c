"""Ids drawn a few hundred at a time: still random, unique, and never shared with a fork."""

from __future__ import annotations

import os
import re
import threading

from winback.apply.context import new_uid


def test_ids_are_32_hex_digits_and_unique_across_draws_and_threads() -> None:
    drawn: list[str] = []

    def draw() -> None:
        drawn.extend(new_uid() for _ in range(1000))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    drawn.extend(new_uid() for _ in range(1000))

    assert len(set(drawn)) == len(drawn) == 5000
    assert all(re.fullmatch(r"[0-9a-f]{32}", uid) for uid in drawn)


def test_a_forked_child_draws_other_ids_than_its_parent() -> None:
    new_uid()  # the parent now holds a drawn pool a child would inherit
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(writing, " ".join(new_uid() for _ in range(10)).encode())
        os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    with os.fdopen(reading) as pipe:
        in_child = set(pipe.read().split())
    in_parent = {new_uid() for _ in range(10)}

    assert len(in_child) == 10
    assert not in_child & in_parent
