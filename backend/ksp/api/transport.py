"""The HTTP protocol the server runs: uvicorn's h11, with TCP_NODELAY on every connection.

With `--workers N > 1` uvicorn binds the listening socket itself with protocol number 0, and
asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP. Every answer then
waited for the client's delayed ACK: about 40 ms per request on a keep-alive connection
(measured: 47 ms for a bare "ok" with 2 workers, 1 ms with 1; docs/BENCHMARKS.md)."""

from __future__ import annotations

import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_nodelay(transport: Any) -> None:
    """Sends small writes at once (no Nagle), whatever the listening socket said."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: Any) -> None:
        set_nodelay(transport)
        super().connection_made(transport)
