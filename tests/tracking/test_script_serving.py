"""GET /track.js: small, cacheable, revalidated by ETag; and the snippet stores paste."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import LiveServer
from winback.cli import app as cli
from winback.tracking.script import snippet, tracking_script

SCRIPT = Path(__file__).resolve().parents[2] / "src/winback/tracking/static/track.js"
DOCS = Path(__file__).resolve().parents[2] / "docs/tracking.md"
IDENTITY = {"accept-encoding": "identity"}


def raw_get(server: LiveServer, path: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """The response and its bytes as sent, not decompressed."""
    with (
        httpx.Client(base_url=server.url) as client,
        client.stream("GET", path, headers=headers) as response,
    ):
        return response, b"".join(response.iter_raw())


def test_the_script_is_served_as_javascript_with_an_etag_and_an_hours_cache(
    server: LiveServer,
) -> None:
    response, body = raw_get(server, "/track.js", IDENTITY)

    assert response.status_code == 200
    assert body == SCRIPT.read_bytes()
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert re.fullmatch(r'"[0-9a-f]{16}"', response.headers["etag"])
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "content-encoding" not in response.headers


def test_the_script_is_gzipped_when_the_browser_accepts_it_and_is_at_most_3_kb(
    server: LiveServer,
) -> None:
    response, body = raw_get(server, "/track.js", {"accept-encoding": "gzip, deflate, br"})

    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == SCRIPT.read_bytes()
    assert len(body) <= 3 * 1024


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_revalidation_with_the_etag_is_answered_304_without_a_body(
    server: LiveServer, encoding: str
) -> None:
    first, _ = raw_get(server, "/track.js", {"accept-encoding": encoding})

    again, body = raw_get(
        server,
        "/track.js",
        {"accept-encoding": encoding, "if-none-match": first.headers["etag"]},
    )

    assert again.status_code == 304
    assert body == b""
    assert again.headers["etag"] == first.headers["etag"]


def test_the_versioned_url_is_cacheable_for_a_year_and_an_old_version_is_not(
    server: LiveServer,
) -> None:
    current, _ = raw_get(server, f"/track.js?v={tracking_script().version}", IDENTITY)
    outdated, body = raw_get(server, "/track.js?v=0000000000000000", IDENTITY)

    assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert outdated.headers["cache-control"] == "public, max-age=3600"
    assert body == SCRIPT.read_bytes()


def test_store_create_prints_the_snippet_with_the_store_id_filled_in(tmp_path: Path) -> None:
    env = {"WINBACK_DATA_DIR": str(tmp_path), "WINBACK_PUBLIC_URL": "https://wb.example.com/"}

    result = CliRunner().invoke(cli, ["store", "create", "--name", "Shop"], env=env)

    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["snippet"] == (
        "<script>\n"
        "  var _rmData = _rmData || [];\n"
        f"  _rmData.push(['setStoreKey', '{created['store_id']}']);\n"
        "</script>\n"
        '<script async src="https://wb.example.com/track.js"></script>\n'
    )


def test_the_snippet_in_the_docs_is_the_one_winback_prints() -> None:
    assert snippet("STORE_ID", "https://winback.example.com") in DOCS.read_text()


def test_a_head_request_gets_the_headers_without_the_script(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        response = client.head("/track.js", headers=IDENTITY)

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(SCRIPT.read_bytes()))
