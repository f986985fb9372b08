"""Tests cannot reach the internet: every connection goes to this machine (pytest-socket's --allow-hosts)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_an_outside_connection_is_refused() -> None:
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("203.0.113.1", 443), timeout=1)  # TEST-NET-3: never a real host


async def test_an_outside_connection_from_the_event_loop_is_refused() -> None:
    with pytest.raises(SocketConnectBlockedError):
        await asyncio.wait_for(asyncio.open_connection("198.51.100.7", 443), 2)


async def test_this_machine_is_reachable() -> None:
    server = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    server.close()
