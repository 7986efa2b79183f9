"""Fixtures shared by every test folder."""

import socket

import pytest


@pytest.fixture
def free_ports():
    """``free_ports(n)``: n loopback ports free right now (for services started on fixed ports)."""

    def pick(count: int) -> list[int]:
        sockets = [socket.socket() for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        ports = [sock.getsockname()[1] for sock in sockets]
        for sock in sockets:
            sock.close()
        return ports

    return pick
