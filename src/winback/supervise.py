"""serve's watch over the processes it starts when the applier runs apart.

With ``--separate-applier`` or ``--workers N``, serve's own process only watches:
uvicorn's HTTP worker processes, and ``winback worker``, which applies the events
and runs the queued jobs. Nothing else would notice that worker die (an OOM kill,
a crash), so serve starts it again, waiting longer after each exit in a row so
that a worker that cannot start does not spin. The processes learn from their
environment (``Apart``) where serve keeps what they share: the worker's pid, for
/healthz to tell whether an applier runs, and the directory where every process
counts its metrics, for /metrics to add them up. Each stops once serve is gone
(``exit_with_parent``): killed, it cannot stop them itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

RUN_DIR_VARIABLE = "WINBACK_SERVE_DIR"
SERVE_PID_VARIABLE = "WINBACK_SERVE_PID"
# prometheus_client's own: set before it is imported, it counts in files there.
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
RUN_DIR_PREFIX = "winback-serve-"

# After the worker exits unasked, serve starts it again after this long, doubled
# after each further exit in a row, up to the most.
RESTART_WAIT_SECONDS = 1.0
MAX_RESTART_WAIT_SECONDS = 60.0
# A worker that ran this long before it exited crashed once; it does not keep
# crashing, and the next wait is the first again.
STEADY_RUN_SECONDS = 60.0
# How often a process started by serve checks that serve is still there.
PARENT_CHECK_SECONDS = 1.0


def restart_wait(exits_in_a_row: int) -> float:
    """Seconds to wait before starting the worker again after its latest exit."""
    doublings = min(exits_in_a_row - 1, 16)  # (more would only overflow a float)
    return min(RESTART_WAIT_SECONDS * 2.0**doublings, MAX_RESTART_WAIT_SECONDS)


def running(pid: int) -> bool:
    """Whether the process ``pid`` of this user runs: not gone, and not a zombie
    that no one has reaped yet (what a killed process is until its parent does)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # (another user's: the pid was reused)
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # (no /proc to tell a zombie by)
    # The state follows the command's name, in brackets that may hold anything.
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


@dataclass(frozen=True)
class Apart:
    """What serve shares with the processes it starts: its pid and its run directory
    (fresh for each serve, in the temporary directory: prometheus_client maps its
    files into memory, which a data directory on a network share would not bear)."""

    run_dir: Path
    serve_pid: int

    @classmethod
    def create(cls) -> Apart:
        _remove_stale_run_dirs()
        run_dir = Path(tempfile.mkdtemp(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-"))
        (run_dir / "metrics").mkdir()
        return cls(run_dir, os.getpid())

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> Apart | None:
        run_dir, serve_pid = environment.get(RUN_DIR_VARIABLE), environment.get(SERVE_PID_VARIABLE)
        if not run_dir or not serve_pid:
            return None
        return cls(Path(run_dir), int(serve_pid))

    def environment(self) -> dict[str, str]:
        return {
            RUN_DIR_VARIABLE: str(self.run_dir),
            SERVE_PID_VARIABLE: str(self.serve_pid),
            METRICS_DIR_VARIABLE: str(self.metrics_dir),
        }

    @property
    def metrics_dir(self) -> Path:
        return self.run_dir / "metrics"

    @property
    def _applier_pid_file(self) -> Path:
        return self.run_dir / "applier.pid"

    def record_applier(self, pid: int | None) -> None:
        """The worker's pid once it is started; ``None`` once it has exited."""
        if pid is None:
            self._applier_pid_file.unlink(missing_ok=True)
            return
        written = self._applier_pid_file.with_suffix(".new")
        written.write_text(str(pid))
        written.replace(self._applier_pid_file)  # (a reader never sees half of it)

    def applier_state(self) -> str:
        """``apart`` while the worker runs, ``stopped`` while serve has none running."""
        try:
            pid = int(self._applier_pid_file.read_text())
        except (OSError, ValueError):
            return "stopped"
        return "apart" if running(pid) else "stopped"

    def remove(self) -> None:
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _remove_stale_run_dirs() -> None:
    """Remove the run directories of this user's serve processes that were killed."""
    for run_dir in Path(tempfile.gettempdir()).glob(f"{RUN_DIR_PREFIX}*"):
        pid = run_dir.name.removeprefix(RUN_DIR_PREFIX).split("-")[0]
        with contextlib.suppress(OSError):
            if run_dir.stat().st_uid == os.getuid() and pid.isdigit() and not running(int(pid)):
                shutil.rmtree(run_dir, ignore_errors=True)


class WorkerSupervisor:
    """Runs ``command`` (``winback worker``) for serve and starts it again whenever it
    exits unasked. An exit with status 0 was asked for (SIGTERM or Ctrl-C, which the
    terminal or a service manager sends serve too): it is logged, not undone."""

    def __init__(self, command: list[str], apart: Apart) -> None:
        self._command = command
        self.apart = apart
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._thread = threading.Thread(target=self._watch, name="worker-watch", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def stop(self) -> subprocess.Popen[bytes] | None:
        """Start no more workers; returns the one started last, for the caller to stop."""
        with self._lock:
            self._stopping.set()
            return self._child

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._child = subprocess.Popen(self._command)
            self._started_at = time.monotonic()
            self.apart.record_applier(self._child.pid)

    def _watch(self) -> None:
        exits_in_a_row = 0
        while (child := self._child) is not None:
            code = child.wait()
            ran = time.monotonic() - self._started_at
            self.apart.record_applier(None)
            if self._stopping.is_set():
                return
            if code == 0:
                log.warning(
                    "winback worker stopped on request; serve does not start it again",
                    pid=child.pid,
                )
                return
            exits_in_a_row = 1 if ran >= STEADY_RUN_SECONDS else exits_in_a_row + 1
            wait = restart_wait(exits_in_a_row)
            log.error(
                "winback worker exited; starting it again",
                pid=child.pid,
                exit_status=_exit_status(code),
                exits_in_a_row=exits_in_a_row,
                restart_in_seconds=wait,
            )
            self._restart_after(wait)
            restarted = self._child
            if self._stopping.is_set() or restarted is None or restarted is child:
                return
            log.info("winback worker started again", pid=restarted.pid)

    def _restart_after(self, wait: float) -> None:
        while not self._stopping.wait(wait):
            try:
                self._spawn()
                return
            except OSError as error:  # (out of memory or processes: try again later)
                wait = MAX_RESTART_WAIT_SECONDS
                log.error(
                    "winback worker could not be started",
                    error=repr(error),
                    restart_in_seconds=wait,
                )


def _exit_status(code: int) -> str:
    """A child's exit as an operator reads it: ``1``, or ``SIGKILL``."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-code).name
    return str(code)


def exit_with_parent(parent_pid: int, stop: Callable[[], None]) -> threading.Thread:
    """Call ``stop`` once serve (``parent_pid``) is no longer this process's parent:
    killed, serve cannot stop the processes it started, and a worker left behind
    would go on applying beside the next serve's, or an upgrade's migration."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        log.warning(
            "the winback serve that started this process is gone: stopping", serve_pid=parent_pid
        )
        stop()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
