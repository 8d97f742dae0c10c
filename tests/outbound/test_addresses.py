"""Which addresses outgoing calls may reach, and how the checked address is pinned."""

from __future__ import annotations

import ipaddress
import socket

import httpx
import pytest

from winback.outbound import AddressRefused, RetryableError, TerminalError
from winback.outbound.addresses import GuardedTransport, IPAddress, is_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "240.0.0.1",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_loopback_private_link_local_and_reserved_addresses_are_not_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_global_unicast_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address)) is True


def resolver_of(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[IPAddress]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(address) for address in table[host]]

    return resolve


def client_with(
    table: dict[str, list[str]], answer: httpx.MockTransport, *, allow_private: bool = False
) -> httpx.Client:
    transport = GuardedTransport(
        allow_private=allow_private, resolver=resolver_of(table), make_transport=lambda: answer
    )
    return httpx.Client(transport=transport, follow_redirects=True)


def test_the_request_goes_to_the_checked_address_under_the_host_name() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, text="ok")

    with client_with({"shop.example": ["93.184.216.34"]}, httpx.MockTransport(answer)) as client:
        response = client.get("https://shop.example/feed.xml")

    assert response.text == "ok"
    assert str(sent[0].url) == "https://93.184.216.34/feed.xml"
    assert sent[0].headers["Host"] == "shop.example"
    assert sent[0].extensions["sni_hostname"] == "shop.example"
    assert str(response.request.url) == "https://shop.example/feed.xml"


def test_one_private_address_among_public_ones_refuses_the_host() -> None:
    answer = httpx.MockTransport(lambda request: httpx.Response(200))
    table = {"shop.example": ["93.184.216.34", "10.0.0.5"]}

    with client_with(table, answer) as client, pytest.raises(AddressRefused) as refused:
        client.get("https://shop.example/feed.xml")

    assert refused.value.reason.startswith("shop.example resolves to 10.0.0.5, a loopback")


def test_a_redirect_to_a_private_address_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data"})

    table = {"shop.example": ["93.184.216.34"]}

    with (
        client_with(table, httpx.MockTransport(answer)) as client,
        pytest.raises(AddressRefused) as refused,
    ):
        client.get("https://shop.example/feed.xml")

    assert refused.value.url == "http://169.254.169.254/latest/meta-data"


def test_private_addresses_pass_when_configured() -> None:
    answer = httpx.MockTransport(lambda request: httpx.Response(204))

    with client_with({}, answer, allow_private=True) as client:
        assert client.get("http://10.0.0.5/feed.xml").status_code == 204


def test_an_unknown_host_is_a_terminal_error() -> None:
    answer = httpx.MockTransport(lambda request: httpx.Response(200))

    with client_with({}, answer) as client, pytest.raises(TerminalError) as failed:
        client.get("https://nowhere.example/")

    assert failed.value.reason == "the host nowhere.example does not exist"
    assert not isinstance(failed.value, RetryableError)
