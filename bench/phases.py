"""The load phases of a run, each driven from a separate process.

* saturation: wrk (C, one thread) keeps ``connections`` requests in flight for
  ``seconds``; the rate it reaches is the most the server can acknowledge.
* fixed rate: ``loadgen.py`` sends on the clock at a given rate, measures
  latency from when each request was due, and times the visibility probes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from servers import BENCH_DIR, Server

WRK = "/usr/bin/wrk"
LUA_SCRIPT = BENCH_DIR / "intake.lua"
WRK_TIMEOUT = "10s"


@dataclass(frozen=True)
class Target:
    """Where the load goes: a server, the store's webhook path and key."""

    server: Server
    store_id: str
    api_key: str

    @property
    def path(self) -> str:
        return f"/webhooks/store/{self.store_id}"


@dataclass(frozen=True)
class Load:
    seconds: float
    connections: int
    threads: int = 1


def _wrk_json(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith("WRK_JSON "):
            parsed: dict[str, Any] = json.loads(line[len("WRK_JSON ") :])
            return parsed
    raise RuntimeError(f"wrk printed no result:\n{output}")


def saturate(target: Target, load: Load, requests_file: Path) -> dict[str, Any]:
    """wrk at full speed; rate, latency percentiles, errors and server CPU per request."""
    command = [
        WRK,
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{round(load.seconds)}s",
        f"--timeout={WRK_TIMEOUT}",
        "-s",
        str(LUA_SCRIPT),
        target.server.base_url,
        "--",
        str(requests_file),
        target.store_id,
        target.api_key,
        str(load.threads),
        target.path,
    ]
    cpu_before = target.server.cpu_seconds()
    out = subprocess.run(command, capture_output=True, text=True, timeout=load.seconds + 120)
    # wrk loads its script first, then sends for exactly its duration and exits.
    ended = time.time()
    cpu = target.server.cpu_seconds() - cpu_before
    result = _wrk_json(out.stdout)
    seconds = result["duration_us"] / 1e6
    errors = sum(result[key] for key in result if key.startswith("errors_"))
    return {
        "requests": result["requests"],
        "rate": (result["requests"] - errors) / seconds,
        "non_200": result["errors_status"],
        "socket_errors": errors - result["errors_status"],
        "p50_ms": result["p50_us"] / 1000,
        "p90_ms": result["p90_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000,
        "server_cpu_ms_per_request": 1000 * cpu / max(result["requests"], 1),
        "started_wall": ended - seconds,
        "ended_wall": ended,
    }


@dataclass(frozen=True)
class FixedRate:
    rate: float
    seconds: float
    requests_file: Path
    first: int
    probes: int = 0
    probe_tag: str = "p"
    record_acks: bool = False
    connections: int = 256
    drain_seconds: float = 15.0


def fixed_rate_command(target: Target, plan: FixedRate, workdir: Path) -> tuple[list[str], Path]:
    """The loadgen command line for ``plan``, and where it will write its result."""
    config = {
        "host": "127.0.0.1",
        "port": target.server.port,
        "path": target.path,
        "token": target.api_key,
        "requests_file": str(plan.requests_file),
        "first": plan.first,
        "count": int(plan.rate * plan.seconds) + 1,
        "rate": plan.rate,
        "seconds": plan.seconds,
        "connections": plan.connections,
        "drain_seconds": plan.drain_seconds,
        "probes": plan.probes,
        "probe_tag": plan.probe_tag,
        "record_acks": plan.record_acks,
    }
    config_file = Path(tempfile.mkstemp(suffix=".json", dir=workdir)[1])
    config_file.write_text(json.dumps(config))
    out_file = config_file.with_suffix(".out.json")
    return [
        sys.executable,
        str(BENCH_DIR / "loadgen.py"),
        str(config_file),
        str(out_file),
    ], out_file


def run_fixed_rate(target: Target, plan: FixedRate, workdir: Path) -> dict[str, Any]:
    """loadgen at ``plan.rate``; its summary plus the server's CPU per request."""
    command, out_file = fixed_rate_command(target, plan, workdir)
    cpu_before = target.server.cpu_seconds()
    subprocess.run(command, check=True, timeout=plan.seconds + plan.drain_seconds + 180)
    cpu = target.server.cpu_seconds() - cpu_before
    result: dict[str, Any] = json.loads(out_file.read_text())
    result["server_cpu_ms_per_request"] = 1000 * cpu / max(result["completed"], 1)
    result["plan"] = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(plan).items()}
    return result
