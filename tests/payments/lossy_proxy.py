"""A real HTTP proxy on loopback in front of localstripe that can lose answers.

`drop` names requests ("METHOD /path" substrings) whose request is forwarded to localstripe, which acts on
it (charges the card), and whose answer is then thrown away: the connection closes without a
byte of response, as when a mobile link or a load balancer drops it after sending. `refuse`
makes the proxy's port refuse connections, as a payment service that is down does: nothing
was sent, so nothing can have been charged.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class LossyProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.drop: tuple[str, ...] = ()
        self.dropped: list[str] = []
        self.forwarded: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                if any(part in f"{self.command} {self.path}" for part in proxy.drop):
                    proxy.dropped.append(f"{self.command} {self.path}")
                    self.close_connection = True  # the answer is lost: close without a byte
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                proxy.forwarded.append(f"{self.command} {self.path}")
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = True

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LossyProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @contextmanager
    def dropping(self, *paths: str) -> Iterator[LossyProxy]:
        self.drop = paths
        try:
            yield self
        finally:
            self.drop = ()


def refused_url() -> str:
    """An address on loopback where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
