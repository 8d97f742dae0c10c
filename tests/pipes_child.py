"""The child of tests/test_pipes.py: N messages, each larger than the last, and a stray print."""

from __future__ import annotations

import sys

from winback.pipes import messages_pipe, write_message

if __name__ == "__main__":
    pipe = messages_pipe()
    print("a library warning")
    for number in range(int(sys.argv[1])):
        write_message(pipe, "message", number, "x" * (100_000 * number))
    pipe.flush()
