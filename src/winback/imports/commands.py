"""``winback import orders|contacts FILE --store S``: import a CSV in this process, with progress.

The same ``import_orders`` / ``import_contacts`` as the API's queued jobs. A
progress bar over the bytes read goes to stderr; the summary (rows, imported,
skipped, and every error with its line number) to stdout, as text or JSON.
Exit codes: 0 the file was read to the end (even with skipped rows), 1 it
stopped part-way, 2 it was refused before anything was written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from winback.commandline import fail, migrated_engine
from winback.errors import WinbackError
from winback.imports.jobs import CONTACTS, ORDERS, ImportSummary
from winback.imports.mapping import load_column_mapping
from winback.imports.runs import IMPORTERS

import_app = typer.Typer(
    help="Import a store's history from CSV files (integration.md section 3).",
    no_args_is_help=True,
)

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file")
]
StoreOption = Annotated[str, typer.Option("--store", help="The store id")]
MappingOption = Annotated[
    Path | None,
    typer.Option(help='A JSON file {"their header": "our column"} for other header names'),
]
DryRunOption = Annotated[
    bool, typer.Option(help="Apply everything and roll it back: the report, nothing written")
]
EncodingOption = Annotated[str, typer.Option(help="The file's text encoding")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON")]


def _add_command(kind: str, summary: str) -> None:
    """``winback import KIND``: the two kinds take the same options."""

    def command(
        file: FileArgument,
        store: StoreOption,
        mapping: MappingOption = None,
        dry_run: DryRunOption = False,
        encoding: EncodingOption = "utf-8",
        as_json: JsonOption = False,
    ) -> None:
        _run(kind, file, store, mapping, dry_run, encoding, as_json)

    command.__doc__ = summary
    import_app.command(kind)(command)


_add_command(ORDERS, "Import an orders history: one row per line item, an order's rows together.")
_add_command(CONTACTS, "Import contacts: one per row, found by id, else email.")


def _run(
    kind: str,
    file: Path,
    store_id: str,
    mapping_file: Path | None,
    dry_run: bool,
    encoding: str,
    as_json: bool,
) -> None:
    engine = migrated_engine()
    try:
        mapping = load_column_mapping(mapping_file) if mapping_file else None
        with _ProgressBar(file.stat().st_size) as bar:
            summary = IMPORTERS[kind](
                engine,
                store_id,
                file,
                mapping=mapping,
                dry_run=dry_run,
                encoding=encoding,
                progress=bar.show,
            )
    except WinbackError as error:
        fail(error.reason)
    finally:
        engine.dispose()
    typer.echo(json.dumps(_as_dict(summary), indent=2) if as_json else _as_text(summary))
    if summary.stopped:
        raise typer.Exit(code=1)


def _as_dict(summary: ImportSummary) -> dict[str, object]:
    return {
        "kind": summary.kind,
        "dry_run": summary.dry_run,
        "rows_read": summary.rows_read,
        "imported": summary.imported,
        "unchanged": summary.unchanged,
        "skipped": summary.skipped,
        "errors": summary.errors_as_dicts(),
        "errors_not_listed": summary.errors_not_listed,
        "stopped": summary.stopped,
    }


def _as_text(summary: ImportSummary) -> str:
    what = "orders" if summary.kind == ORDERS else "contacts"
    verb = "would be imported (dry run: nothing was written)" if summary.dry_run else "imported"
    lines = [
        f"rows read: {summary.rows_read}",
        f"{what} {verb}: {summary.imported}",
        f"{what} already stored as the file has them (unchanged): {summary.unchanged}",
        f"rows skipped: {summary.skipped}",
    ]
    for error in summary.errors:
        column = f" [{error.column}]" if error.column else ""
        lines.append(f"  line {error.line}{column}: {error.reason}")
    if summary.errors_not_listed:
        lines.append(f"  ... and {summary.errors_not_listed} more errors")
    if summary.stopped:
        lines.append(f"stopped before the end of the file: {summary.stopped}")
    return "\n".join(lines)


class _ProgressBar:
    """Bytes read of the file, rows read and records imported, on stderr."""

    def __init__(self, total_bytes: int) -> None:
        self._progress = Progress(
            TextColumn("importing"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]} rows, {task.fields[imported]} imported"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task("import", total=total_bytes, rows=0, imported=0)

    def __enter__(self) -> _ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def show(self, summary: ImportSummary) -> None:
        self._progress.update(
            self._task,
            completed=summary.bytes_read,
            rows=summary.rows_read,
            imported=summary.imported,
        )
