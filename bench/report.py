"""Medians over runs, the targets, the printed table and the JSON file in bench/out/."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servers import BENCH_DIR
from stats import median

Getter = Callable[[dict[str, Any]], float | None]


def _get(*path: str) -> Getter:
    def get(run: dict[str, Any]) -> float | None:
        value: Any = run
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return None if value is None else float(value)

    return get


def _errors(phase: str) -> Getter:
    """Saturation: wrk's non-2xx count plus socket errors."""

    def get(run: dict[str, Any]) -> float | None:
        result = run["winback"].get(phase)
        if result is None:
            return None
        return float(result["non_200"] + result["socket_errors"])

    return get


def _answered_not_ok(phase: str) -> Getter:
    """Fixed rate: answers other than 200 (status 0, a failed connection, is not an answer)."""

    def get(run: dict[str, Any]) -> float | None:
        result = run["winback"].get(phase)
        if result is None:
            return None
        statuses = result["statuses"]
        return float(sum(n for status, n in statuses.items() if status not in ("200", "0")))

    return get


def _unanswered(phase: str) -> Getter:
    """Fixed rate: requests still waiting when the load generator gave up, or failed."""

    def get(run: dict[str, Any]) -> float | None:
        result = run["winback"].get(phase)
        if result is None:
            return None
        return float(result["unanswered"] + result["statuses"].get("0", 0))

    return get


# (key, label, getter, format)
METRICS: list[tuple[str, str, Getter, str]] = [
    ("floor_rate", "floor: requests/s at saturation", _get("floor", "rate"), "{:.0f}"),
    ("sat_rate", "winback: acknowledged events/s", _get("winback", "saturation", "rate"), "{:.0f}"),
    ("floor_ratio", "winback / floor", _get("floor_ratio"), "{:.1%}"),
    (
        "sustained",
        "acknowledged and applied events/s",
        _get("winback", "saturation", "apply", "acked_and_applied_rate"),
        "{:.0f}",
    ),
    (
        "applied_during",
        "applied events/s while loading",
        _get("winback", "saturation", "apply", "applied_rate_during_load"),
        "{:.0f}",
    ),
    ("sat_p50", "saturation ack p50 ms (wrk)", _get("winback", "saturation", "p50_ms"), "{:.1f}"),
    ("sat_p99", "saturation ack p99 ms (wrk)", _get("winback", "saturation", "p99_ms"), "{:.1f}"),
    ("sat_errors", "saturation non-200 / socket errors", _errors("saturation"), "{:.0f}"),
    (
        "sat_lag_p50",
        "saturation apply lag p50 ms",
        _get("winback", "saturation", "apply", "lag_p50_ms"),
        "{:.0f}",
    ),
    (
        "sat_lag_p99",
        "saturation apply lag p99 ms",
        _get("winback", "saturation", "apply", "lag_p99_ms"),
        "{:.0f}",
    ),
    (
        "cpu_winback",
        "winback server CPU ms/event",
        _get("winback", "saturation", "server_cpu_ms_per_request"),
        "{:.2f}",
    ),
    (
        "cpu_floor",
        "floor server CPU ms/request",
        _get("floor", "server_cpu_ms_per_request"),
        "{:.2f}",
    ),
]


def _phase_metrics(phase: str, title: str) -> list[tuple[str, str, Getter, str]]:
    base = ("winback", phase)
    return [
        (f"{phase}_offered", f"{title}: offered events/s", _get(*base, "offered_rate"), "{:.0f}"),
        (f"{phase}_acked", f"{title}: acknowledged events/s", _get(*base, "ack_rate"), "{:.0f}"),
        (f"{phase}_p50", f"{title}: ack p50 ms", _get(*base, "p50_ms"), "{:.1f}"),
        (f"{phase}_p99", f"{title}: ack p99 ms", _get(*base, "p99_ms"), "{:.1f}"),
        (f"{phase}_errors", f"{title}: non-200 answers", _answered_not_ok(phase), "{:.0f}"),
        (
            f"{phase}_unanswered",
            f"{title}: unanswered 15 s after the load",
            _unanswered(phase),
            "{:.0f}",
        ),
        (
            f"{phase}_lag_p50",
            f"{title}: apply lag p50 ms",
            _get(*base, "apply", "lag_p50_ms"),
            "{:.0f}",
        ),
        (
            f"{phase}_lag_p99",
            f"{title}: apply lag p99 ms",
            _get(*base, "apply", "lag_p99_ms"),
            "{:.0f}",
        ),
        (
            f"{phase}_vis_p50",
            f"{title}: visible after 200, p50 ms",
            _get(*base, "visibility", "p50_ms"),
            "{:.0f}",
        ),
        (
            f"{phase}_vis_p99",
            f"{title}: visible after 200, p99 ms",
            _get(*base, "visibility", "p99_ms"),
            "{:.0f}",
        ),
    ]


ALL_METRICS = (
    METRICS
    + _phase_metrics("fixed_target", "target rate")
    + _phase_metrics("fixed_half", "half of sustained")
)


def summarize_runs(runs: dict[str, list[dict[str, Any]]], target_rate: float) -> dict[str, Any]:
    """For each database: the median of every metric over its runs, and the targets."""
    summary: dict[str, Any] = {}
    for kind, results in runs.items():
        medians = {key: median([get(run) for run in results]) for key, _, get, _ in ALL_METRICS}
        summary[kind] = {"medians": medians, "targets": targets(medians, target_rate)}
    return summary


def _at_most(value: float | None, limit: float) -> bool:
    return value is not None and value < limit


def targets(m: dict[str, float | None], rate: float) -> dict[str, bool]:
    """The issue's targets, judged on the medians."""
    reached = (
        (m["fixed_target_acked"] or 0) >= 0.98 * rate
        and m["fixed_target_errors"] == 0
        and m["fixed_target_unanswered"] == 0
    )
    return {
        f">= {rate:.0f} events/s acknowledged and applied": (m["sustained"] or 0) >= rate,
        f"ack p99 < 50 ms at {rate:.0f}/s": reached and _at_most(m["fixed_target_p99"], 50),
        ">= 30% of the HTTP floor": (m["floor_ratio"] or 0) >= 0.30,
        f"apply lag p99 < 1 s at {rate:.0f}/s": reached
        and _at_most(m["fixed_target_lag_p99"], 1000),
        f"visible p99 < 1 s at {rate:.0f}/s": reached and _at_most(m["fixed_target_vis_p99"], 1000),
        "no non-200 at saturation": m["sat_errors"] == 0,
    }


def _cell(value: float | None, fmt: str) -> str:
    if value is None:
        return "-"
    # Infinite: probes never seen, or events not applied when measured.
    return "never" if math.isinf(value) else fmt.format(value)


def table(summary: dict[str, Any]) -> str:
    """The medians as a Markdown table, one column per database."""
    kinds = list(summary)
    lines = ["| metric (median) | " + " | ".join(kinds) + " |", "|---|" + "---:|" * len(kinds)]
    for key, label, _, fmt in ALL_METRICS:
        values = [summary[kind]["medians"][key] for kind in kinds]
        if all(value is None for value in values):
            continue
        lines.append(f"| {label} | " + " | ".join(_cell(v, fmt) for v in values) + " |")
    lines += ["", "| target | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    for name in summary[kinds[0]]["targets"]:
        marks = ["met" if summary[kind]["targets"][name] else "**missed**" for kind in kinds]
        lines.append(f"| {name} | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def print_table(summary: dict[str, Any], options: Any) -> None:
    print()
    print(
        f"workers={options.workers} connections={options.connections} "
        f"seconds={options.seconds} runs={options.runs} "
        f"separate_applier={getattr(options, 'separate_applier', False)}"
    )
    print(table(summary))


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=BENCH_DIR, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def machine() -> dict[str, Any]:
    """What the numbers were measured on, including how busy the machine was."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "git_commit": _git("rev-parse", "HEAD"),
        # Other work goes on in the same checkout: say whether src/ had local changes.
        "src_changed_files": len(_git("status", "--porcelain", "src").splitlines()),
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_results(
    name: str, options: dict[str, Any], started: dict[str, Any], results: Any
) -> Path:
    """The whole result as JSON in bench/out/ (gitignored); returns the file."""
    out = BENCH_DIR / "out" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "options": options,
        "machine": started | {"loadavg_at_end": os.getloadavg()},
        "results": results,
    }
    out.write_text(json.dumps(document, indent=2, default=str))
    print(f"results written to {out}")
    return out
