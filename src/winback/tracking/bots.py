"""Crawlers that run the store's pages: their page views are not shoppers' activity."""

from __future__ import annotations

import re

# Only the obvious ones: user agents that say what they are. "...bot" must be
# followed by a version, a dash or a semicolon ("Googlebot/2.1", "AdsBot-Google",
# "PetalBot;"), so a phone such as "CUBOT P30" is not taken for one; a "+http"
# link to an explanation page is a crawler's signature ("+http://www.google.com/bot.html").
_CRAWLER = re.compile(
    r"\w*bot[/;-]|\+https?://|crawler|crawling|spider|slurp|facebookexternalhit"
    r"|mediapartners-google|bingpreview|lighthouse|pingdom|phantomjs|python-requests|scrapy"
    r"|\bwget\b",
    re.IGNORECASE,
)


def is_crawler(user_agent: str | None) -> bool:
    """True when the user agent names itself a crawler, bot or monitoring probe."""
    return user_agent is not None and _CRAWLER.search(user_agent) is not None
