"""Which pages may post to a store's collector: CORS by the store's domain.

A store without a domain accepts every origin (``*``): the collector needs no
secret, so the origin is a guard against mistakes and other sites' pages, not a
lock. A store with a domain accepts its pages and its subdomains' pages.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import idna


def site_of(domain: str) -> str:
    """``https://www.Shop.example/path`` → ``shop.example``: the host, lower case, no
    www, in the ASCII form browsers send in an Origin (``bücher.de`` → ``xn--bcher-kva.de``)."""
    text = domain.strip().lower()
    host = urlsplit(text if "//" in text else "//" + text).hostname or ""
    # (a fully qualified name's final dot names the same host)
    host = host.removesuffix(".").removeprefix("www.")
    try:
        # (IDNA 2008 as browsers apply it: straße.de is xn--strae-oqa.de, where
        # Python's own codec, of IDNA 2003, makes it strasse.de)
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except UnicodeError:  # (idna.IDNAError is one)
        return host  # (no host name: the store's check refuses it)


def allowed_origin(domain: str | None, origin: str | None) -> str | None:
    """The ``Access-Control-Allow-Origin`` to answer, or None when the origin is not allowed."""
    if not domain:
        return "*"
    if not origin:
        return None
    site = site_of(domain)
    try:
        host = (urlsplit(origin).hostname or "").removesuffix(".")
    except ValueError:  # (an Origin no URL can be, like "http://[": no page's)
        return None
    if site and (host == site or host.endswith("." + site)):
        return origin
    return None


def origin_refused(domain: str | None, origin: str | None) -> bool:
    """A browser page (it sent an Origin) that is not one of the store's pages."""
    return bool(domain) and bool(origin) and allowed_origin(domain, origin) is None
