"""The store-key API of CSV imports: upload a file, then follow its job.

``POST /api/v1/imports/orders`` (or ``/contacts``) takes the CSV file itself as
the request body (``Content-Type: text/csv``), streamed to the data directory.
Options: ``?dry_run=true`` (apply everything and roll it back: the report alone),
``?encoding=latin-1`` (files that are not UTF-8), a column mapping as a JSON
object in the ``x-column-mapping`` header, and the file's name in
``x-filename``. A file whose header cannot be imported (a missing column, not
UTF-8 text) is refused at once with 422; otherwise the answer is 202 with the
job, and ``GET /api/v1/imports/{id}`` tells how far it got, what went in, and
every skipped row with its line number.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request

from winback.errors import InvalidPayload, NotFound, UnsupportedMediaType
from winback.imports.contacts import parse_contacts_csv
from winback.imports.jobs import ORDERS
from winback.imports.mapping import parse_column_mapping
from winback.imports.orders import parse_orders_csv
from winback.imports.problems import ImportRefused
from winback.imports.runs import new_job_id, record_job, upload_path
from winback.imports.table import is_text_encoding
from winback.imports.tasks import import_tasks
from winback.storage import imports as job_storage
from winback.stores.service import Store
from winback.web.deps import SINGLE_VALUED_QUERY, RuntimeDep, StoreDep
from winback.web.headers import header_text
from winback.web.openapi import error_responses
from winback.web.uploads import discard, save_body

router = APIRouter(
    prefix="/api/v1/imports",
    tags=["CSV imports"],
    responses=error_responses(400, 401, 404, 413, 415, 422),
    dependencies=[SINGLE_VALUED_QUERY],
)

MAX_IMPORT_BYTES = 4 * 1024**3
MAX_FILENAME_LENGTH = 200

DryRun = Annotated[
    bool, Query(description="Apply the whole file and roll it back: the report, nothing written")
]
Encoding = Annotated[str, Query(max_length=40, description="The file's text encoding")]
MappingHeader = Annotated[
    str | None, Header(description='JSON object {"their header": "our column"}')
]
FilenameHeader = Annotated[str | None, Header(description="The file's name, for the record")]


@router.post("/{kind}", status_code=202, summary="Import an orders or contacts CSV (queued)")
async def post_import(
    kind: Literal["orders", "contacts"],
    request: Request,
    store: StoreDep,
    runtime: RuntimeDep,
    dry_run: DryRun = False,
    encoding: Encoding = "utf-8",
    x_column_mapping: MappingHeader = None,
    x_filename: FilenameHeader = None,
) -> dict[str, Any]:
    """``orders``: one row per line item, an order's rows together; ``contacts``: one
    contact per row. The file is the body (Content-Type: text/csv)."""
    return await _accept(
        request, store, runtime, kind, dry_run, encoding, x_column_mapping, x_filename
    )


@router.get("/{job_id}", summary="One import: progress, figures and every skipped row")
def get_import(job_id: str, store: StoreDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        job = job_storage.store_job(conn, store.id, job_id)
    if job is None:
        raise NotFound(f"no import {job_id!r}")
    return {"import": job.to_dict()}


@router.get("", summary="The store's imports, newest first (cursor pagination)")
def list_imports(
    store: StoreDep,
    runtime: RuntimeDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        jobs, next_cursor = job_storage.jobs_page(conn, store.id, cursor, limit)
    return {"items": [job.to_dict() for job in jobs], "next_cursor": next_cursor}


async def _accept(
    request: Request,
    store: Store,
    runtime: RuntimeDep,
    kind: str,
    dry_run: bool,
    encoding: str,
    mapping_header: str | None,
    filename: str | None,
) -> dict[str, Any]:
    """Check the options, save the body, check the header, record and queue the job."""
    _check_media_type(request.headers.get("content-type", ""))
    mapping = _mapping(mapping_header)
    _check_encoding(encoding)
    job_id = new_job_id()
    path = upload_path(runtime.settings.data_dir, job_id)
    size = await save_body(request, path, max_bytes=MAX_IMPORT_BYTES, what="an import")
    try:
        _check_header(kind, path, store.currency, mapping, encoding)
        job = record_job(
            runtime.engine,
            job_id,
            store.id,
            kind,
            dry_run=dry_run,
            filename=(filename or "")[:MAX_FILENAME_LENGTH] or None,
            bytes_total=size,
        )
    except BaseException:
        discard(path)
        raise
    import_tasks(runtime.queue).run(job.id, mapping=mapping, encoding=encoding)
    return {"import": job.to_dict()}


def _check_media_type(content_type: str) -> None:
    if content_type.lower().startswith("multipart/"):
        raise UnsupportedMediaType(
            "send the CSV file itself as the request body (Content-Type: text/csv), not a form"
        )


def _mapping(header: str | None) -> dict[str, str] | None:
    if header is None or not header.strip():
        return None
    try:
        return parse_column_mapping(header_text(header))
    except ImportRefused as error:
        raise InvalidPayload(error.reason, code="invalid_column_mapping") from None


def _check_encoding(encoding: str) -> None:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise InvalidPayload(
            f"unknown text encoding {encoding!r}", code="invalid_encoding"
        ) from None
    if not is_text_encoding(info):
        raise InvalidPayload(f"{encoding!r} is not a text encoding", code="invalid_encoding")


def _check_header(
    kind: str, path: Path, currency: str, mapping: dict[str, str] | None, encoding: str
) -> None:
    """Refuse at once a file whose header cannot be imported (nothing is recorded)."""
    with path.open("rb") as handle:
        # Both read the header at once and raise ImportRefused; no row is read.
        if kind == ORDERS:
            parse_orders_csv(handle, store_currency=currency, mapping=mapping, encoding=encoding)
        else:
            parse_contacts_csv(handle, mapping=mapping, encoding=encoding)
