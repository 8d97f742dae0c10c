"""Streaming the items of an RSS 2.0 or Atom feed with Google ``g:`` fields.

The parser builds no tree: a target collects the direct children of each
``<item>``/``<entry>`` into a flat row as the bytes arrive, so memory holds one
item at a time whatever the size of the feed. ``defusedxml`` refuses DTDs,
entity declarations and external references, so a feed cannot make the parser
expand entities without bound or read local files.

Every field read (a ``g:`` field, or a plain RSS/Atom one standing in for it)
is held to ``MAX_FIELD_CHARS``, as a CSV cell is: an item with a longer one is
a rejected row, never a product with the value cut short. Elements no field
is read from are ignored, however long.

The text is UTF-8 unless the prolog declares another encoding: expat reads the
one-byte ones (ISO-8859-1, windows-1252...) too, and refuses most multi-byte ones.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from winback.feeds.errors import FeedError
from winback.feeds.source import HtmlPageRefused
from winback.imports.problems import RowError
from winback.imports.source import BUFFER_SIZE
from winback.imports.table import MAX_FIELD_CHARS, TableRow

GOOGLE = "{http://base.google.com/ns/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"
ROOTS = {"rss", f"{ATOM}feed", "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"}
ITEMS = {"item", f"{ATOM}entry", "{http://purl.org/rss/1.0/}item"}
# Plain RSS/Atom elements stand in for the g: field only when the item lacks it.
FALLBACKS = {"title": "title", "link": "link", "description": "description"} | {
    f"{ATOM}title": "title",
    f"{ATOM}summary": "description",
}
# Fields that may repeat, and how their values join into one cell as in a CSV feed.
REPEATED = {"product_type": "|", "additional_image_link": ","}
UNREADABLE_ENCODING = (
    "the XML feed declares an encoding that cannot be read: save the feed as UTF-8, "
    'and declare encoding="UTF-8" (or none) in its <?xml ?> line'
)


class _ItemCollector:
    """Parser target: turns each item into a ``TableRow`` of its direct children's text."""

    def __init__(self, line_number: Callable[[], int]):
        self._line_number = line_number
        self._root_seen = False
        self._item: dict[str, str] | None = None
        self._fallback: dict[str, str] = {}
        self._line = 0
        self._depth = 0
        self._text: list[str] = []
        self._text_size = 0
        self._oversized: str | None = None
        self.done: list[TableRow | RowError] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if not self._root_seen:
            self._check_root(tag)
        if self._item is None:
            if tag in ITEMS:
                self._item, self._fallback, self._oversized = {}, {}, None
                self._line, self._depth = self._line_number(), 0
            return
        self._depth += 1
        if self._depth == 1:
            self._text, self._text_size = [], 0
            if tag == f"{ATOM}link" and attrib.get("rel", "alternate") == "alternate":
                self._fallback.setdefault("link", attrib.get("href", ""))

    def data(self, text: str) -> None:
        # Text of nested elements (g:shipping's g:price) is not the item's own.
        if self._item is not None and self._depth == 1:
            self._text_size += len(text)
            if self._text_size <= MAX_FIELD_CHARS:
                self._text.append(text)

    def end(self, tag: str) -> None:
        if self._item is None:
            return
        if self._depth == 0:
            self.done.append(self._finish_item())
            self._item = None
            return
        if self._depth == 1:
            self._keep_field(tag, "".join(self._text).strip())
        self._depth -= 1

    def close(self) -> None:
        return None

    def _check_root(self, tag: str) -> None:
        self._root_seen = True
        if tag.rpartition("}")[2].lower() == "html":
            raise HtmlPageRefused()
        if tag not in ROOTS:
            raise FeedError(f"the XML is not an RSS or Atom feed: its root element is <{tag}>")

    def _keep_field(self, tag: str, value: str) -> None:
        assert self._item is not None
        name = _field_name(tag)
        if name is None:
            return
        if self._text_size > MAX_FIELD_CHARS:
            self._oversized = name
        if not tag.startswith(GOOGLE):
            self._fallback.setdefault(name, value)
            return
        if not value:
            return
        previous = self._item.get(name)
        if previous and name in REPEATED:
            value = previous + REPEATED[name] + value
        elif previous:
            return
        self._item[name] = value

    def _finish_item(self) -> TableRow | RowError:
        assert self._item is not None
        values = self._fallback | self._item
        if self._oversized is not None:
            reason = f"the value is longer than {MAX_FIELD_CHARS} characters"
            # (the rest of the item still says whose it is)
            values.pop(self._oversized, None)
            return RowError(self._line, self._oversized, reason, values=values)
        return TableRow(line=self._line, values=values)


def _field_name(tag: str) -> str | None:
    """The field an item's child element is read as: its ``g:`` name, or the one a plain
    element stands in for; ``None`` for an element no field is read from."""
    if tag.startswith(GOOGLE):
        return tag.removeprefix(GOOGLE)
    return FALLBACKS.get(tag)


def read_xml_items(reader: io.BufferedReader) -> Iterator[TableRow | RowError]:
    """Yield one row per feed item; the first item must have a ``g:id``."""
    parser: DefusedXMLParser
    collector = _ItemCollector(lambda: parser.parser.CurrentLineNumber)
    parser = DefusedXMLParser(target=collector, forbid_dtd=True)
    first = True
    while True:
        chunk = reader.read(BUFFER_SIZE)
        if chunk:
            _run(parser.feed, chunk)
        else:
            _run(parser.close)
        for row in collector.done:
            if first and isinstance(row, TableRow) and not row.values.get("id"):
                raise FeedError("the feed's items have no g:id field", line=row.line, column="id")
            first = False
            yield row
        collector.done.clear()
        if not chunk:
            return


def _run(step: Callable[..., object], *args: bytes) -> None:
    try:
        step(*args)
    except ParseError as error:
        line = error.position[0]
        raise FeedError(f"the XML feed is malformed: {error}", line=line) from None
    except DefusedXmlException:
        raise FeedError("the XML feed declares a DTD or entities, which are refused") from None
    except (LookupError, ValueError):
        # How expat refuses the encoding the prolog declares: one it does not know
        # (LookupError), or a multi-byte one other than UTF-8 and UTF-16 (ValueError).
        raise FeedError(UNREADABLE_ENCODING) from None
