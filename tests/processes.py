"""A real ``winback`` process run from a test: its environment, its ports, its lines."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WINBACK = str(Path(sys.executable).parent / "winback")


def winback_environment(data_dir: Path, **variables: str) -> dict[str, str]:
    """This environment without its ``WINBACK_*`` settings: data in ``data_dir``, quiet
    logs, and ``variables``."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("WINBACK_")}
    return kept | {"WINBACK_DATA_DIR": str(data_dir), "WINBACK_LOG_LEVEL": "warning"} | variables


def run_winback(
    command: list[str], data_dir: Path, **variables: str
) -> subprocess.CompletedProcess[str]:
    """``winback COMMAND`` run to its end in ``winback_environment``, its output kept."""
    return subprocess.run(
        [WINBACK, *command],
        env=winback_environment(data_dir, **variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """``winback COMMAND`` running, its output piped; it and what it started are
    stopped at the end."""
    process = subprocess.Popen(
        [WINBACK, *command], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _ports_of(pid: int) -> set[int]:
    """The TCP ports process ``pid`` listens on (its sockets, found in /proc/net/tcp*)."""
    sockets = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except FileNotFoundError:  # closed between listing and reading: not a listener
            continue
        with_inode = re.fullmatch(r"socket:\[(\d+)\]", target)
        if with_inode:
            sockets.add(with_inode[1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            listening = fields[3] == "0A"
            if listening and fields[9] in sockets:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def listening_ports(process: subprocess.Popen[str]) -> set[int]:
    """The ports ``process`` listens on, once it listens on any (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "winback serve stopped"
        ports = _ports_of(process.pid)
        if ports:
            return ports
        time.sleep(0.1)
    raise AssertionError("winback serve never listened")


def line_naming(process: subprocess.Popen[str], text: str) -> str:
    """The first line ``process`` prints that holds ``text``, waiting 30 s at most
    (once per process: what is read to find it is not read again)."""
    printed = process.stdout
    assert printed is not None
    lines: queue.Queue[str] = queue.Queue()
    # (read apart: a blocking readline could wait past the deadline for good)
    threading.Thread(target=lambda: [*map(lines.put, printed)], daemon=True).start()
    deadline = time.monotonic() + 30
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if text in line:
            return line
    raise AssertionError(f"no line named {text!r}")
