"""The ``winback`` command: serve, work the applier, manage stores. Thin: it calls the
services."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Annotated, Any

import typer
import uvicorn
from sqlalchemy.exc import DatabaseError, OperationalError
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from winback.apply.applier import Applier
from winback.commandline import fail, migrated_engine, print_json
from winback.config import MAX_KEY_ROTATION_GRACE_HOURS, ConfigError, Settings, load_settings
from winback.coupons.commands import coupon_app
from winback.errors import WinbackError
from winback.feeds.commands import feed_app
from winback.imports.commands import import_app
from winback.jobs.queue import QueueWorkers, make_queue
from winback.logs import COMMAND_LOG_STREAM, configure_logging
from winback.memory import tune_garbage_collection
from winback.runtime import TaskContext, register_tasks
from winback.storage.engine import derived, gated
from winback.storage.files import not_a_database
from winback.storage.newevents import watch_commits
from winback.storage.replay import replay_store
from winback.stores.quickstart import QuickstartStore, quickstart_store
from winback.stores.service import create_store, get_store, grace_period, list_stores, rotate_key
from winback.supervise import Apart, WorkerSupervisor, exit_with_parent
from winback.tracking.script import snippet

app = typer.Typer(help="winback: marketing automation for online stores.", no_args_is_help=True)
store_app = typer.Typer(help="Manage stores and their API keys.", no_args_is_help=True)
app.add_typer(store_app, name="store")
app.add_typer(coupon_app, name="coupon")
app.add_typer(feed_app, name="feed")
app.add_typer(import_app, name="import")

QUICKSTART_FILE = "quickstart-store.json"


@store_app.command("create")
def store_create(
    name: Annotated[str, typer.Option(help="The store's name")],
    domain: Annotated[str | None, typer.Option(help="The store's domain")] = None,
    currency: Annotated[str, typer.Option(help="ISO currency")] = "USD",
) -> None:
    """Create a store; prints its id, API key (shown only this once) and tracking snippet."""
    try:
        store, key = create_store(migrated_engine(), name=name, domain=domain, currency=currency)
    except WinbackError as error:
        fail(error.reason)
        return
    base_url = load_settings().resolved_public_url
    print_json({**store.to_dict(), "api_key": key, "snippet": snippet(store.id, base_url)})


@store_app.command("list")
def store_list() -> None:
    """List every store (keys are never shown again)."""
    print_json([store.to_dict() for store in list_stores(migrated_engine())])


@store_app.command("rotate-key")
def store_rotate(
    store_id: Annotated[str, typer.Argument(help="The store id")],
    grace_hours: Annotated[
        float | None,
        typer.Option(
            help=f"Hours the current key stays valid, at most {MAX_KEY_ROTATION_GRACE_HOURS}"
            " (default: WINBACK_KEY_ROTATION_GRACE_HOURS, else 24)",
        ),
    ] = None,
) -> None:
    """Issue a new key; the current one keeps working for the grace period, any
    older one stops (at most two keys are valid at a time). A running server
    notices within 5 seconds: it keeps each store's keys that long."""
    if grace_hours is None:
        grace_hours = load_settings().key_rotation_grace_hours
    try:
        key = rotate_key(migrated_engine(), store_id, grace=grace_period(grace_hours))
    except WinbackError as error:
        fail(error.reason)
        return
    print_json({"store_id": store_id, "api_key": key, "previous_keys_expire_in_hours": grace_hours})


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    migrated_engine()
    typer.echo("schema is up to date")


@app.command()
def worker(
    parent_pid: Annotated[
        int | None,
        typer.Option(hidden=True, help="Stop once this process (serve) is gone"),
    ] = None,
) -> None:
    """Apply events from the raw log and run queued jobs (feed syncs, imports) until
    stopped: the production process beside ``serve --separate-applier``."""
    settings = load_settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    engine = migrated_engine()
    queue = make_queue(settings)
    register_tasks(queue, TaskContext(engine, settings))
    jobs = QueueWorkers(queue)
    commits = watch_commits(engine)
    applier = Applier(
        gated(derived(engine)),
        batch_size=settings.batch_size_in("worker"),
        work_out_first=True,
        wakeup=commits,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if parent_pid is not None:
        exit_with_parent(parent_pid, stop.set)
    try:
        jobs.start()
        applier.run(stop)
    finally:
        commits.close()
        jobs.stop()  # (after the job it runs: see _stop_worker)


@app.command()
def replay(store_id: Annotated[str, typer.Argument(help="The store to rebuild")]) -> None:
    """Rebuild a store's state from its raw log (after the apply logic changed)."""
    engine = migrated_engine()
    try:
        get_store(engine, store_id)  # (a mistyped id would replay nothing, and say so)
    except WinbackError as error:
        fail(error.reason)
        return
    count = replay_store(engine, store_id)
    Applier(engine, batch_size=load_settings().batch_size_in("server")).drain(timeout=3600)
    typer.echo(f"replayed {count} events")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535)] = None,
    workers: Annotated[int, typer.Option(help="HTTP worker processes", min=1)] = 1,
    separate_applier: Annotated[
        bool, typer.Option(help="Apply in a separate process (always so with several workers)")
    ] = False,
) -> None:
    """Serve the HTTP API (and, by default, apply events in the same process)."""
    # The app (in each worker) reads its settings from the environment: where it is
    # served goes there too, so what it prints (the tracking snippet) points here.
    if host:
        os.environ["WINBACK_HOST"] = host
    if port is not None:
        os.environ["WINBACK_PORT"] = str(port or _free_port(host or load_settings().host))
    settings = load_settings()
    migrated_engine().dispose()
    split = separate_applier or workers > 1
    os.environ["WINBACK_APPLY_IN_PROCESS"] = "0" if split else "1"
    supervisor = _start_worker(settings) if split else None
    try:
        _serve_http(
            supervisor,
            "winback.asgi:make_app",
            factory=True,
            host=host or settings.host,
            port=settings.port,
            workers=workers,
            log_level=settings.log_level,
            log_config=None,
            access_log=False,
            loop="uvloop",
            http="httptools",
        )
    finally:
        if supervisor is not None:
            _stop_worker(supervisor)


def _start_worker(settings: Settings) -> WorkerSupervisor:
    """Start ``winback worker``, and start it again whenever it exits unasked
    (``supervise.py``); the processes started from now on know where serve keeps
    what they share."""
    # (serve's own lines, the worker's restarts, as the processes it starts log theirs)
    configure_logging(settings.log_level, as_json=settings.log_json)
    apart = Apart.create()
    os.environ.update(apart.environment())
    command = [sys.executable, "-m", "winback", "worker", "--parent-pid", str(os.getpid())]
    supervisor = WorkerSupervisor(command, apart)
    supervisor.start()
    return supervisor


def _serve_http(supervisor: WorkerSupervisor | None, app_path: str, **options: Any) -> None:
    """Serve as ``uvicorn.run`` does; with the applier apart, in uvicorn's worker
    processes even when there is one. Each process started after serve set
    ``PROMETHEUS_MULTIPROC_DIR`` counts its metrics in a file there, for /metrics to
    add them up with the applier's; serve's own process imported prometheus_client
    before, and counts in memory only."""
    if supervisor is None:
        uvicorn.run(app_path, **options)
        return
    config = uvicorn.Config(app_path, **options)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    processes = Multiprocess(config, sockets=[config.bind_socket()])
    try:
        processes.run()
    finally:
        # (uvicorn's only queue a signal: a second Ctrl-C must reach _stop_worker)
        for number, handler in handlers.items():
            signal.signal(number, handler)
    if any(process.exitcode == STARTUP_FAILURE for process in processes.processes):
        raise SystemExit(STARTUP_FAILURE)  # (as uvicorn.run exits when one process fails)


def _free_port(host: str) -> int:
    """A port free on ``host``, for ``--port 0``: picked here rather than by uvicorn, so
    that what winback prints (quickstart's lines, the tracking snippet) names it. (If
    another process takes it in the moment before uvicorn binds it, uvicorn says so.)"""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.bind(address)
            return int(probe.getsockname()[1])
    except OSError:
        return 0  # (uvicorn picks one, and says what is wrong with the host)


WORKER_STOP_NOTICE_SECONDS = 10


def _stop_worker(supervisor: WorkerSupervisor) -> None:
    """Stop ``winback worker``, which first finishes the batch and the job it runs:
    an import or a feed sync cut short would be left half done. A second Ctrl-C
    stops it at once."""
    child = supervisor.stop()
    try:
        if child is not None:
            _stop_child(child)
    finally:
        supervisor.join(timeout=WORKER_STOP_NOTICE_SECONDS)
        supervisor.apart.remove()


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=WORKER_STOP_NOTICE_SECONDS)
    except subprocess.TimeoutExpired:
        typer.echo(
            "winback worker is finishing a running job (an import or a feed sync) and"
            " stops when it is done; Ctrl-C again stops it now",
            err=True,
        )
        try:
            child.wait()
        except KeyboardInterrupt:
            child.kill()
            child.wait()


@app.command()
def quickstart(port: Annotated[int | None, typer.Option(min=0, max=65535)] = None) -> None:
    """First run: create a store if there is none, print its id and key, then serve."""
    settings = load_settings()
    saved = settings.data_dir / QUICKSTART_FILE
    store = quickstart_store(migrated_engine(), saved)
    if port == 0:
        port = _free_port(settings.host)
    base = f"http://{settings.host}:{settings.port if port is None else port}"
    typer.echo(f"""
winback is starting at {base}
  store id : {store.store_id}
  API key  : {store.api_key}   (also in {saved}){_rotated_note(store)}

Send an event:
  curl -X POST {base}/webhooks/store/{store.store_id} \\
    -H 'Content-Type: application/json' -H 'x-event-type: customers/create' \\
    -H 'x-token: {store.api_key}' -d '{{"id": 1, "email": "ada@example.com"}}'
Read it back:
  curl -H 'x-api-key: {store.api_key}' {base}/api/v1/customers/1
""")
    serve(host=None, port=port, workers=1, separate_applier=False)


def _rotated_note(store: QuickstartStore) -> str:
    if store.key_still_valid:
        return ""
    return (
        "\n  (that key was rotated and works no more: "
        f"winback store rotate-key {store.store_id} issues another)"
    )


def main() -> None:
    tune_garbage_collection()
    # (a command's answer is on standard output, often read by a script: what it
    # logs on the way goes to standard error; serve and worker log to standard output)
    configure_logging(stream=COMMAND_LOG_STREAM)
    try:
        app()
    except ConfigError as error:
        # A bad setting is the operator's to fix: what is wrong, not a traceback.
        typer.echo(f"winback: {error}", err=True)
        raise SystemExit(2) from None
    except OperationalError as error:
        # So is a database that cannot be reached: its own words, first line only.
        cause = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
        typer.echo(f"winback: the database cannot be reached: {cause}", err=True)
        raise SystemExit(1) from None
    except DatabaseError as error:
        # (SQLite's own words name neither the file nor the setting that chose it)
        if "file is not a database" not in str(error.orig):
            raise
        typer.echo(f"winback: {not_a_database(load_settings().resolved_database_url)}", err=True)
        raise SystemExit(2) from None
