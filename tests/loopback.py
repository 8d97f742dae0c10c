"""The HTTP server the tests run on loopback to play a store's site or feed host."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a browser cancelling a load, a timeout
        # test) is not a failure, and its traceback would land in whatever captures
        # stderr at that moment, such as another test's CLI output.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
