"""The error that refuses a whole product feed (row problems are ``RowError`` records)."""

from __future__ import annotations

from winback.imports.problems import ImportRefused


class FeedError(ImportRefused):
    """The feed as a whole cannot be used: not a feed, corrupt, or missing a mandatory column.

    Raised before any product when the problem is in the header or the first
    item; raised mid-stream when the file turns out corrupt later on, in which
    case the products already read are not the whole catalog.
    """

    code = "feed_refused"
