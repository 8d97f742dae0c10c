"""Opening a product feed: gunzip if needed, then tell CSV, TSV and XML apart.

The format is judged from the content, not from the URL or a file name: stores
serve ``.xml`` files as ``text/plain``, gzip without saying so, and sometimes an
HTML error page with a 200.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from enum import StrEnum

from winback.feeds.errors import FeedError
from winback.imports.source import BUFFER_SIZE, ByteSource, CountingReader, open_source

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
HTML_REFUSED = "the file is an HTML page, not a feed"
HTML_FROM_URL = "the URL returned an HTML page, not a feed"
UTF16_TABLE = (
    "the file is UTF-16 text; a CSV or TSV feed must be UTF-8: export or save the feed as UTF-8"
)
# What may come before a document's first tag: whitespace, comments, the <?xml ?> line.
_BEFORE_FIRST_TAG = re.compile(rb"(?:\s|<!--.*?-->|<\?.*?\?>)*", re.DOTALL)


class HtmlPageRefused(FeedError):
    """An HTML page where a feed was expected: a login or error page, often answered with a 200.

    Said of a file; a sync of a URL says the URL returned it (``HTML_FROM_URL``).
    """

    def __init__(self) -> None:
        super().__init__(HTML_REFUSED)


class FeedFormat(StrEnum):
    CSV = "csv"
    TSV = "tsv"
    XML = "xml"


@dataclass(frozen=True, slots=True)
class OpenedFeed:
    """A feed ready to read: its format, whether it was gzipped, the (decompressed) bytes."""

    format: FeedFormat
    gzipped: bool
    reader: io.BufferedReader
    counter: CountingReader


class _Gunzip(io.RawIOBase):
    """Incremental gunzip whose corruption errors become ``FeedError``s."""

    def __init__(self, compressed: io.BufferedReader):
        super().__init__()
        self._gzip = gzip.GzipFile(fileobj=compressed, mode="rb")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        try:
            data = self._gzip.read(len(buffer))
        except (gzip.BadGzipFile, zlib.error, EOFError) as error:
            raise FeedError(f"the feed is not a valid gzip file: {error}") from None
        buffer[: len(data)] = data
        return len(data)


def open_feed(source: ByteSource) -> OpenedFeed:
    """Look at the first bytes (after gunzip) and decide the format, or refuse the feed."""
    counter, reader = open_source(source)
    gzipped = reader.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] == GZIP_MAGIC
    if gzipped:
        reader = io.BufferedReader(_Gunzip(reader), buffer_size=BUFFER_SIZE)
    head = reader.peek(BUFFER_SIZE)[:BUFFER_SIZE]
    return OpenedFeed(sniff_format(head), gzipped, reader, counter)


def sniff_format(head: bytes) -> FeedFormat:
    """XML if it starts with ``<``, TSV if its first line has more tabs than commas, else CSV.

    An HTML page is refused, even after a comment (some sites start every page with one).
    A feed in UTF-16 is judged by its text: XML reads it (its parser knows UTF-16), a
    CSV or TSV feed in it is refused (feeds are read as UTF-8).
    """
    encoding = _utf16_encoding(head)
    text = head.removeprefix(UTF8_BOM).lstrip()
    if encoding is not None:
        text = head.decode(encoding, errors="ignore").lstrip("\ufeff").lstrip().encode()
    if not text:
        raise FeedError("the feed is empty")
    if _is_html(text):
        raise HtmlPageRefused()
    if text.startswith(b"<"):
        return FeedFormat.XML
    if encoding is not None:
        raise FeedError(UTF16_TABLE)
    first_line = text.split(b"\n", 1)[0]
    if first_line.count(b"\t") > first_line.count(b","):
        return FeedFormat.TSV
    return FeedFormat.CSV


def _utf16_encoding(head: bytes) -> str | None:
    """UTF-16 by its byte order mark, or by the zero byte beside each ASCII one."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    pairs = head[:64]
    if len(pairs) >= 4 and pairs[1::2].count(0) == len(pairs) // 2 and 0 not in pairs[0::2]:
        return "utf-16-le"
    if len(pairs) >= 4 and pairs[0::2].count(0) == (len(pairs) + 1) // 2 and 0 not in pairs[1::2]:
        return "utf-16-be"
    return None


def _is_html(text: bytes) -> bool:
    # (an unclosed comment is not skipped: the XML parser says what is wrong with it)
    skipped = _BEFORE_FIRST_TAG.match(text)
    start = skipped.end() if skipped is not None else 0
    return text[start : start + 16].lower().startswith((b"<!doctype html", b"<html"))
