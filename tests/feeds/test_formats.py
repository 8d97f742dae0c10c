"""Telling feed formats apart by content, and reading each of them as a stream."""

from __future__ import annotations

import gzip
from decimal import Decimal

import pytest

from winback.catalog.payloads import Category
from winback.feeds import FeedError, FeedProduct, RowError, parse_feed
from winback.imports import Progress

CSV = b"id,title,link,price\nP1,Mug,https://s/mug,9.90 USD\nP2,Cup,https://s/cup,4 USD\n"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
  <channel>
    <title>The shop</title>
    <link>https://shop.example/</link>
    <item>
      <g:id>P1</g:id>
      <title>Mug</title>
      <link>https://s/mug</link>
      <description>A &lt;b&gt;big&lt;/b&gt; mug</description>
      <g:price>9.90 USD</g:price>
      <g:availability>out of stock</g:availability>
      <g:shipping><g:country>US</g:country><g:price>5.00 USD</g:price></g:shipping>
      <g:product_type>Home &gt; Kitchen</g:product_type>
      <g:product_type>Gifts</g:product_type>
    </item>
    <item>
      <g:id>P2</g:id>
      <g:title>Cup (g:title wins)</g:title>
      <title>Cup</title>
      <g:link>https://s/cup</g:link>
      <g:price>4 USD</g:price>
    </item>
  </channel>
</rss>
"""

ATOM = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
  <id>tag:shop.example,2024:feed</id>
  <title>The shop</title>
  <entry>
    <id>tag:shop.example,2024:P1</id>
    <g:id>P1</g:id>
    <title>Mug</title>
    <link rel="alternate" href="https://s/mug"/>
    <summary>A big mug</summary>
    <g:price>9.90 USD</g:price>
  </entry>
</feed>
"""


def products(records: list[FeedProduct | RowError]) -> list[FeedProduct]:
    return [record for record in records if isinstance(record, FeedProduct)]


def ids(records: list[FeedProduct | RowError]) -> list[str]:
    return [record.payload.id for record in products(records)]


def test_a_csv_feed_yields_one_product_per_row() -> None:
    assert ids(list(parse_feed(CSV))) == ["P1", "P2"]


def test_a_gzipped_feed_is_recognised_by_its_magic_bytes() -> None:
    assert ids(list(parse_feed(gzip.compress(CSV)))) == ["P1", "P2"]


def test_a_gzipped_xml_feed_is_read_too() -> None:
    assert ids(list(parse_feed(gzip.compress(RSS)))) == ["P1", "P2"]


def test_a_tab_separated_feed_is_recognised_by_its_header() -> None:
    tsv = (
        b"id\ttitle\tlink\tprice\tdescription\nP1\tMug\thttps://s/mug\t9.90 USD\tBig, blue, heavy\n"
    )

    [record] = products(list(parse_feed(tsv)))

    assert record.payload.body_html == "Big, blue, heavy"


def test_an_rss_feed_reads_the_g_fields_of_each_item() -> None:
    first, second = products(list(parse_feed(RSS)))

    mug = first.payload
    assert (first.line, mug.id, mug.title, mug.url) == (6, "P1", "Mug", "https://s/mug")
    assert mug.body_html == "A <b>big</b> mug"
    assert (mug.price, mug.currency) == (Decimal("9.90"), "USD")
    assert mug.product_exists is False
    assert mug.categories == [Category(name="Home > Kitchen"), Category(name="Gifts")]
    assert (second.payload.title, second.payload.url) == ("Cup (g:title wins)", "https://s/cup")


def test_an_atom_feed_reads_links_from_href_and_ignores_the_atom_id() -> None:
    [record] = products(list(parse_feed(ATOM)))

    product = record.payload
    assert (product.id, product.title, product.url) == ("P1", "Mug", "https://s/mug")
    assert product.body_html == "A big mug"


@pytest.mark.parametrize(
    "page",
    [
        b"<!DOCTYPE html><html><body>Not found</body></html>",
        b"\n  <html lang='en'><head></head></html>",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        b"<!-- page 42, cached -->\n<!DOCTYPE html><html><body>Not found</body></html>",
        b"\xef\xbb\xbf <!-- a --><!-- b -->\n<HTML><body>Log in</body></HTML>",
        b'<?xml version="1.0"?>\n<!-- x -->\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0'
        b' Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html/>',
    ],
)
def test_an_html_page_is_refused(page: bytes) -> None:
    with pytest.raises(FeedError) as refused:
        parse_feed(page)

    assert refused.value.reason == "the file is an HTML page, not a feed"


def test_corrupt_gzip_is_refused() -> None:
    corrupt = gzip.compress(CSV)[:12] + b"\x00" * 40

    with pytest.raises(FeedError, match="the feed is not a valid gzip file"):
        list(parse_feed(corrupt))


def test_a_truncated_gzip_feed_fails_as_a_whole() -> None:
    big = CSV + b"".join(b"P%d,Mug,https://s/mug,1\n" % i for i in range(3, 5000))
    truncated = gzip.compress(big)[:-200]

    with pytest.raises(FeedError, match="the feed is not a valid gzip file"):
        list(parse_feed(truncated))


def test_a_feed_without_an_id_column_fails_before_any_row() -> None:
    with pytest.raises(FeedError) as refused:
        parse_feed(b"title,link,price\nMug,https://s/mug,1\n")

    assert (refused.value.reason, refused.value.column) == ("the feed has no 'id' column", "id")


SEMICOLONS = (
    "its header seems to be separated by semicolons, "
    "but a feed's columns must be separated by commas (CSV) or tabs (TSV)"
)


def test_a_semicolon_separated_feed_is_refused_with_a_hint() -> None:
    # given a CSV feed saved with semicolons between its columns
    feed = b"id;title;link;price\nP1;Mug;https://s/mug;9,90 USD\n"

    # when it is parsed
    with pytest.raises(FeedError) as refused:
        parse_feed(feed)

    # then the missing column is named, and the semicolons pointed out
    assert refused.value.reason == f"the feed has no 'id' column; {SEMICOLONS}"
    assert (refused.value.line, refused.value.column) == (1, "id")


def test_a_quoted_semicolon_separated_feed_is_refused_with_a_hint() -> None:
    feed = b'"id";"title";"link";"price"\n"P1";"Mug";"https://s/mug";"9,90 USD"\n'

    with pytest.raises(FeedError) as refused:
        parse_feed(feed)

    assert refused.value.reason == (
        f"the header row cannot be read: ',' expected after '\"'; {SEMICOLONS}"
    )


def test_a_comma_separated_feed_missing_a_column_gets_no_semicolon_hint() -> None:
    # (a semicolon in one column's name does not make the file semicolon-separated)
    feed = b"id,title,link,size;colour\nP1,Mug,https://s/mug,L;red\n"

    with pytest.raises(FeedError) as refused:
        parse_feed(feed)

    assert refused.value.reason == "the feed has no 'price' column"


def test_an_xml_feed_whose_items_have_no_g_id_fails_before_any_row() -> None:
    plain_rss = (
        b"<rss><channel><item><title>News</title><link>https://s/n</link></item></channel></rss>"
    )

    with pytest.raises(FeedError, match="the feed's items have no g:id field"):
        parse_feed(plain_rss)


def test_a_later_xml_item_without_g_id_is_a_row_error() -> None:
    rss = RSS.replace(b"<g:id>P2</g:id>", b"")

    records = list(parse_feed(rss))

    assert ids(records) == ["P1"]
    assert records[1] == RowError(17, "id", "id is mandatory and empty")


def test_an_xml_feed_starting_with_a_comment_is_read() -> None:
    rss = RSS.replace(b"<rss ", b"<!-- made by the shop -->\n<rss ")

    assert ids(list(parse_feed(rss))) == ["P1", "P2"]


def test_an_xml_feed_with_a_dtd_after_a_comment_is_still_refused_for_its_dtd() -> None:
    feed = b'<!-- x --><!DOCTYPE rss [<!ENTITY a "a">]><rss><channel/></rss>'

    with pytest.raises(FeedError, match="declares a DTD or entities, which are refused"):
        list(parse_feed(feed))


def test_an_xml_feed_with_a_dtd_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel/></rss>'
    )

    with pytest.raises(FeedError, match="declares a DTD or entities, which are refused"):
        list(parse_feed(bomb))


def test_malformed_xml_is_refused_with_its_line() -> None:
    with pytest.raises(FeedError) as refused:
        list(parse_feed(RSS.replace(b"</channel>", b"")))

    assert refused.value.reason.startswith("the XML feed is malformed: mismatched tag")
    assert refused.value.line == 25


def test_xml_that_is_not_a_feed_is_refused() -> None:
    with pytest.raises(FeedError, match=r"not an RSS or Atom feed: its root element is <catalog>"):
        parse_feed(b"<catalog><product/></catalog>")


def test_an_empty_feed_is_refused() -> None:
    with pytest.raises(FeedError, match="the feed is empty"):
        parse_feed(b"  \n")


def test_a_utf8_byte_order_mark_is_tolerated() -> None:
    assert ids(list(parse_feed(b"\xef\xbb\xbf" + CSV))) == ["P1", "P2"]


SAVE_AS_UTF8 = "a CSV or TSV feed must be UTF-8: export or save the feed as UTF-8"


def test_a_feed_that_is_not_utf8_is_refused_saying_to_save_it_as_utf8() -> None:
    # given a CSV feed written in Latin-1
    latin1 = "id,title,link,price\nP1,Crème,https://s/c,1\n".encode("latin-1")

    # when it is parsed
    with pytest.raises(FeedError) as refused:
        parse_feed(latin1)

    # then it is refused with what the store can do (a feed has no encoding to name)
    assert refused.value.reason == (
        f"the file is not valid UTF-8 text (byte 0xe8 at offset 25); {SAVE_AS_UTF8}"
    )


def test_a_feed_found_not_utf8_further_on_is_refused_saying_to_save_it_as_utf8() -> None:
    # given a CSV feed whose bad byte is past the part checked when it is opened
    rows = b"".join(b"P%d,Mug,https://s/m,1\n" % n for n in range(5000))
    feed = CSV + rows + "P9,Crème,https://s/c,1\n".encode("latin-1")

    # when its rows are read
    with pytest.raises(FeedError) as refused:
        list(parse_feed(feed))

    # then the feed is refused with the same advice
    reason = refused.value.reason
    assert reason.startswith("the file is not valid UTF-8 text (after line ")
    assert reason.endswith(f"); {SAVE_AS_UTF8}")


def test_an_xml_feed_may_declare_a_one_byte_encoding() -> None:
    rss = RSS.decode().replace('encoding="UTF-8"', 'encoding="windows-1252"')
    rss = rss.replace("<title>Mug</title>", "<title>Crème mug, 9 €</title>")

    [mug, _] = products(list(parse_feed(rss.encode("windows-1252"))))

    assert mug.payload.title == "Crème mug, 9 €"


def test_an_xml_feed_declaring_an_encoding_that_cannot_be_read_is_refused() -> None:
    rss = RSS.replace(b'encoding="UTF-8"', b'encoding="Shift_JIS"')

    with pytest.raises(FeedError) as refused:
        list(parse_feed(rss))

    assert refused.value.reason == (
        "the XML feed declares an encoding that cannot be read: save the feed as UTF-8, "
        'and declare encoding="UTF-8" (or none) in its <?xml ?> line'
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_an_xml_feed_in_utf16_is_read_with_or_without_its_byte_order_mark(encoding: str) -> None:
    rss = RSS.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')

    assert ids(list(parse_feed(rss.encode(encoding)))) == ["P1", "P2"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_csv_feed_in_utf16_is_refused_saying_so(encoding: str) -> None:
    with pytest.raises(FeedError) as refused:
        list(parse_feed(CSV.decode().encode(encoding)))

    assert refused.value.reason == f"the file is UTF-16 text; {SAVE_AS_UTF8}"


def test_an_html_page_in_utf16_is_refused_as_a_page() -> None:
    with pytest.raises(FeedError) as refused:
        list(parse_feed("<!DOCTYPE html><html><body>Sign in</body></html>".encode("utf-16")))

    assert refused.value.reason == "the file is an HTML page, not a feed"


def test_a_feed_arriving_in_tiny_chunks_is_read_like_a_file() -> None:
    data = gzip.compress(RSS)
    chunks = (data[i : i + 7] for i in range(0, len(data), 7))

    assert ids(list(parse_feed(chunks))) == ["P1", "P2"]


def test_the_progress_hook_hears_rows_and_compressed_bytes() -> None:
    data = gzip.compress(CSV)
    heard: list[Progress] = []

    list(parse_feed(data, progress=heard.append))

    assert heard == [Progress(bytes_read=len(data), rows=2)]


def test_the_digest_is_the_same_for_the_same_content_in_any_format() -> None:
    rss_mug = b"""<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item>
        <g:id>P1</g:id><g:title>Mug</g:title><g:link>https://s/mug</g:link>
        <g:price>9.90 USD</g:price>
        </item></channel></rss>"""

    [from_csv, _] = products(list(parse_feed(CSV)))
    [from_xml] = products(list(parse_feed(rss_mug)))
    [changed] = products(list(parse_feed(CSV.replace(b"9.90", b"9.95"))))[:1]

    assert from_csv.digest == from_xml.digest
    assert len(from_csv.digest) == 64
    assert changed.digest != from_csv.digest


def test_repeated_xml_image_links_keep_a_comma_inside_a_url() -> None:
    rss = RSS.replace(
        b"<g:price>4 USD</g:price>",
        b"<g:price>4 USD</g:price>"
        b"<g:additional_image_link>https://s/cup/2,3.jpg</g:additional_image_link>"
        b"<g:additional_image_link>https://s/cup/4.jpg</g:additional_image_link>",
    )

    _, cup = products(list(parse_feed(rss)))

    assert cup.payload.image_urls == ["https://s/cup/2,3.jpg", "https://s/cup/4.jpg"]
