"""Outgoing HTTP: the one client every feature that calls out goes through (style.md 7)."""

from winback.outbound.errors import (
    AddressRefused,
    OutboundError,
    ResponseTooLarge,
    RetryableError,
    TerminalError,
)
from winback.outbound.http import Download, OutboundClient, Reply, Validators

__all__ = [
    "AddressRefused",
    "Download",
    "OutboundClient",
    "OutboundError",
    "Reply",
    "ResponseTooLarge",
    "RetryableError",
    "TerminalError",
    "Validators",
]
