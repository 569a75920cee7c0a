"""The parallel run's fan-out listens where the endpoint delivers (a network address, like the receiver): a body over
the delivery limit is refused while streaming, before it is buffered, and never relayed to a worker."""

from __future__ import annotations

import socket
from pathlib import Path

from pytest_dcc.transport.fanout import MAX_DELIVERY_BYTES, ResponseFanout, register_worker


def _raw_post(host: str, port: int, head: bytes, body_chunks: int, chunk: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head)
        try:
            for _ in range(body_chunks):
                sock.sendall(chunk)
        except OSError:  # the server answered and closed while the body was still coming: that is the point
            pass
        sock.settimeout(10)
        return sock.recv(4096)


def test_a_declared_oversize_delivery_is_refused_before_its_body_is_sent(tmp_path: Path) -> None:
    folder = tmp_path / "fanout"
    register_worker(folder, "gw0", "http://127.0.0.1:9/", devices=[], users=[])  # never reached
    with ResponseFanout(folder) as fanout:
        head = (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{fanout.port}\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {1 << 30}\r\n\r\n"
        ).encode()
        answer = _raw_post(fanout.host, fanout.port, head, 0, b"")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_streamed_oversize_delivery_is_cut_at_the_limit(tmp_path: Path) -> None:
    folder = tmp_path / "fanout"
    register_worker(folder, "gw0", "http://127.0.0.1:9/", devices=[], users=[])
    chunk = b"<" * 65536
    chunked = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    with ResponseFanout(folder) as fanout:
        head = (
            f"POST /smartdcc/duis HTTP/1.1\r\nHost: 127.0.0.1:{fanout.port}\r\nContent-Type: application/xml\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        answer = _raw_post(fanout.host, fanout.port, head, MAX_DELIVERY_BYTES // len(chunk) + 64, chunked)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
