"""A real MJPEG-over-HTTP server on 127.0.0.1 for the stream tests, the way IP cameras serve video.

Each connection gets `multipart/x-mixed-replace` JPEG parts. What a connection does is decided by
its number (0 for the first one): `frames_per_connection(n)` parts, then it stalls with the
connection held open (`None` parts: it never stops sending). `SilentServer` accepts connections and
never answers; `refused_url()` is an address where nothing listens.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import cv2
import numpy as np

BOUNDARY = "frame"


def numbered_jpeg(number: int, size=(120, 160)) -> bytes:
    """A JPEG whose gray level tells frames apart: level 40 + 10 * (number % 20)."""
    image = np.full((*size, 3), 40 + 10 * (number % 20), np.uint8)
    return cv2.imencode(".jpg", image)[1].tobytes()


class MjpegServer:
    """Serves MJPEG at `url` on a background thread; use as a context manager.

    frames_per_connection: connection number -> parts to send before stalling (None: endless);
    fps: parts per second; jpeg: part number -> JPEG bytes.
    """

    def __init__(self, frames_per_connection: Callable[[int], int | None] = lambda n: None, fps: float = 25.0,
                 jpeg: Callable[[int], bytes] = numbered_jpeg):
        self.frames_per_connection, self.fps, self.jpeg = frames_per_connection, fps, jpeg
        self.connections = 0
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stream.mjpg"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):
                connection, server.connections = server.connections, server.connections + 1
                limit = server.frames_per_connection(connection)
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                sent = 0
                try:
                    while not server.stopping.is_set() and (limit is None or sent < limit):
                        self._send_part(server.jpeg(sent))
                        sent += 1
                        time.sleep(1.0 / server.fps)
                    server.stopping.wait()  # stalled: the connection stays open, nothing more comes
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up

            def _send_part(self, data: bytes) -> None:
                self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
                                 .encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler

    def __enter__(self) -> MjpegServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte; use as a context manager."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/stream.mjpg"
        self.held: list[socket.socket] = []
        self.accepted_at: list[float] = []  # time.monotonic() of each connection
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return  # closed
            self.accepted_at.append(time.monotonic())
            self.held.append(connection)

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.socket.close()
        for connection in self.held:
            connection.close()


def refused_url() -> str:
    """An address on 127.0.0.1 where nothing listens (a port just freed), so connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/stream.mjpg"
