"""Google Shopping product feeds: bytes in, product payloads or precise row errors out.

Nothing here touches the database: the feed sync downloads with
``winback.outbound.http``, calls ``parse_feed`` and applies each product.
"""

from winback.feeds.errors import FeedError
from winback.feeds.parse import parse_feed
from winback.feeds.records import FeedProduct
from winback.imports.problems import RowError

__all__ = ["FeedError", "FeedProduct", "RowError", "parse_feed"]
