"""Which addresses outgoing calls may reach, and the transport that enforces it.

A feed URL or a webhook endpoint is user input: unchecked, a store could make
winback fetch ``http://169.254.169.254/`` (cloud metadata) or an admin page on
localhost and read the answer back through a feed error. Every address a host
resolves to must be public; one private address refuses the whole host.

DNS rebinding: checking a name and then letting the HTTP library resolve it
again leaves a window in which the name can start pointing somewhere else (a
short TTL is enough). So the transport connects to the very address it
checked: it rewrites the URL to that IP, keeps the ``Host`` header, and sends
the name as TLS SNI, so certificates are still verified against the name.
Redirects go through the same transport, so every hop is checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import httpx

from winback.outbound.errors import AddressRefused, RetryableError, TerminalError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[IPAddress]]
# Named in a refusal, so whoever reads it (a feed run's reason) knows what to change.
ALLOW_PRIVATE_SETTING = "WINBACK_OUTBOUND_ALLOW_PRIVATE"


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The host's addresses from the system resolver, in its order, without repeats."""
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        # A link-local IPv6 address carries its zone ("fe80::1%eth0"); the zone is no part of it.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses; false for loopback, private and the rest."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class GuardedTransport(httpx.BaseTransport):
    """Resolves, checks and pins the address of every request (and so of every redirect)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        make_transport: Callable[[], httpx.BaseTransport] = httpx.HTTPTransport,
    ):
        self._allow_private = allow_private
        self._resolver = resolver
        self._make_transport = make_transport
        # One pool per host name: a kept-alive TLS connection verified for one name
        # must never carry a request for another name that shares its address.
        self._pools: dict[str, httpx.BaseTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise TerminalError(f"the URL scheme {url.scheme!r} is not http(s)", url=str(url))
        addresses = self._checked_addresses(url)
        pool = self._pools.get(url.host) or self._pools.setdefault(url.host, self._make_transport())
        if _is_literal(url.host):
            return pool.handle_request(request)
        last_error: httpx.ConnectError | None = None
        for address in addresses:
            try:
                return pool.handle_request(_pinned(request, address))
            except httpx.ConnectError as error:
                last_error = error
        assert last_error is not None
        raise last_error

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def _checked_addresses(self, url: httpx.URL) -> list[IPAddress]:
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = _literal_or_resolved(url.host, port, self._resolver, str(url))
        if not self._allow_private:
            for address in addresses:
                if not is_public(address):
                    reason = (
                        f"{url.host} resolves to {address}, a loopback, private, link-local "
                        "or reserved address, and private addresses are not allowed "
                        f"(setting {ALLOW_PRIVATE_SETTING}=true allows them)"
                    )
                    raise AddressRefused(reason, url=str(url))
        return addresses


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _literal_or_resolved(host: str, port: int, resolver: Resolver, url: str) -> list[IPAddress]:
    if _is_literal(host):
        return [ipaddress.ip_address(host)]
    try:
        addresses = resolver(host, port)
    except socket.gaierror as error:
        if error.errno == socket.EAI_NONAME:
            raise TerminalError(f"the host {host} does not exist", url=url) from None
        raise RetryableError(f"the host {host} cannot be resolved: {error}", url=url) from None
    if not addresses:
        raise RetryableError(f"the host {host} has no address", url=url)
    return addresses


def _pinned(request: httpx.Request, address: IPAddress) -> httpx.Request:
    """The same request sent to ``address``; Host header and TLS name stay the host's."""
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=request.headers,
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": request.url.host},
    )
