"""Every connection the server accepts sends at once (TCP_NODELAY), also when uvicorn's
several workers share a listening socket bound with protocol number 0, on which asyncio
leaves Nagle on (and each answer then waited ~40 ms for the client's delayed ACK)."""

from __future__ import annotations

import socket
from typing import Any

from ksp import system
from ksp.api.transport import NoDelayH11Protocol, set_nodelay


class Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


def test_a_connection_accepted_on_a_protocol_0_socket_gets_tcp_nodelay():
    # As uvicorn binds for --workers > 1: socket(AF_INET, SOCK_STREAM), protocol 0.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()) as _client:
            accepted, _addr = listener.accept()
            with accepted:
                assert accepted.proto == 0
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
                set_nodelay(Transport(accepted))
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_serve_runs_uvicorn_with_the_nodelay_protocol(monkeypatch, settings):
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    system.serve_api(settings, workers=2)
    assert (seen["workers"], seen["http"]) == (2, NoDelayH11Protocol)
