"""Sample the server's processes with py-spy while the load runs (``--profile``).

Every process of the server is sampled: the HTTP worker(s), the applier (a
thread of the server with one worker, a ``winback worker`` process with
several). py-spy reads the processes from outside (``--nonblocking``: it never
pauses them), so the profile costs the server little. Each process gets a
collapsed-stack file (for any flame graph tool) and a short text summary of
where its samples were, by function, counting winback's own frames.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from servers import VENV_BIN, Server

SAMPLES_PER_SECOND = 100
TOP = 30


def _role(pid: int) -> str | None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    if "resource_tracker" in command:
        return None
    if "winback worker" in command:
        return "applier"
    if "spawn_main" in command:
        return "http"
    return "server"


def _py_spy() -> str | None:
    found = VENV_BIN / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def profiled(server: Server, seconds: float, out_dir: Path, label: str) -> Iterator[None]:
    """Record every process of ``server`` for ``seconds`` while the body runs."""
    py_spy = _py_spy()
    if py_spy is None:
        print("py-spy not found (.venv/bin/pip install py-spy): not profiling")
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    spies: list[tuple[subprocess.Popen[bytes], Path]] = []
    for pid in server.pids():
        role = _role(pid)
        if role is None:
            continue
        out = out_dir / f"profile-{label}-{role}-{pid}.txt"
        command = [py_spy, "record", "--nonblocking", "-d", str(round(seconds))]
        command += ["-r", str(SAMPLES_PER_SECOND), "-f", "raw", "-o", str(out), "--pid", str(pid)]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        spies.append((spy, out))
    try:
        yield
    finally:
        for spy, out in spies:
            spy.wait(timeout=seconds + 60)
            if out.exists():
                out.with_suffix(".summary.txt").write_text(summarize(out))
                print(f"profile: {out.with_suffix('.summary.txt')}")


def summarize(collapsed: Path) -> str:
    """Share of samples per function: inclusive (on the stack) and self (on top)."""
    inclusive: Counter[str] = Counter()
    on_top: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = stack.split(";")
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        on_top[frames[-1]] += samples
    lines = [f"{collapsed.name}: {total} samples"]
    lines.append("-- winback functions, inclusive")
    ours = [(f, n) for f, n in inclusive.most_common() if "winback/" in f]
    lines += [f"{100 * n / max(total, 1):5.1f}%  {f}" for f, n in ours[:TOP]]
    lines.append("-- all functions, self")
    lines += [f"{100 * n / max(total, 1):5.1f}%  {f}" for f, n in on_top.most_common(TOP)]
    return "\n".join(lines) + "\n"
