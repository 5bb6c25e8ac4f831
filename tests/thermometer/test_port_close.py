"""A ``socket://`` port whose peer reset the connection is closed, socket and all.

pyserial skips ``close()`` on its socket when ``shutdown()`` fails, which it does once
the serial-to-network box has reset the connection; the descriptor then leaks until
the garbage collector finds it (a ResourceWarning in some unrelated test)."""

from __future__ import annotations

import contextlib
import socket
import struct

import serial

from devices.serial_url import close_port


def _reset_by_peer() -> tuple[serial.SerialBase, socket.socket]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = serial.serial_for_url(f"socket://127.0.0.1:{listener.getsockname()[1]}", timeout=0.1)
    conn, _ = listener.accept()
    listener.close()
    # SO_LINGER with a zero timeout: close() sends a reset, as a box losing power does.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    with_reset = port._socket  # type: ignore[attr-defined]
    assert isinstance(with_reset, socket.socket)
    with contextlib.suppress(serial.SerialException):
        port.read(1)  # sees the reset: the socket is no longer connected
    return port, with_reset


def test_pyserials_own_close_leaks_the_socket_after_a_reset() -> None:
    # What close_port works around; if pyserial fixes it, this test says so.
    port, sock = _reset_by_peer()
    port.close()
    try:
        assert sock.fileno() != -1
    finally:
        sock.close()


def test_close_port_closes_the_socket_after_a_reset() -> None:
    port, sock = _reset_by_peer()
    close_port(port, "test box")
    assert sock.fileno() == -1
    assert not port.is_open


def test_close_port_on_a_healthy_port_and_twice() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = serial.serial_for_url(f"socket://127.0.0.1:{listener.getsockname()[1]}", timeout=0.1)
    conn, _ = listener.accept()
    try:
        close_port(port, "test box")
        close_port(port, "test box")
        assert not port.is_open
    finally:
        conn.close()
        listener.close()
