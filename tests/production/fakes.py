"""Outside services for the topology tests, steered from the test process."""

from __future__ import annotations

import contextlib
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from tests.couriers.gosend_server import FakeGoSend


class HoldingGoSend(FakeGoSend):
    """The GoSend fake, able to hold a booking's answer: the booking is made (the provider has
    acted), then the answer waits until the test lets it go, long enough to kill the worker
    that asked. `refuse_bookings` sends jobs on to the local fleet."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = False
        self.held = threading.Event()  # set once a booking is made and its answer is held
        self.release = threading.Event()
        self.booking_calls = 0  # POST /booking
        self.lookups_found = 0  # GET /booking/storeOrderId/<key> that found a booking

    def route(self, request: Request) -> Response:
        booking = request.method == "POST" and request.path.endswith("/booking")
        if booking:
            with self._lock:
                self.booking_calls += 1
        response = super().route(request)
        if request.method == "GET" and "/booking/storeOrderId/" in request.path and response.status_code == 200:
            with self._lock:
                self.lookups_found += 1
        if booking and self.hold and response.status_code == 201:
            self.held.set()
            self.release.wait(timeout=60)
        return response

    def reset(self) -> None:
        self.hold = False
        self.held.clear()
        self.release.set()  # a held answer still waiting goes
        self.release = threading.Event()
        self.refuse_bookings = False
        self.booking_calls = self.lookups_found = 0
        self.bookings.clear()
        self.by_store_order.clear()


class HoldingStripe:
    """A proxy on loopback in front of localstripe that can hold the answer to a refund: the
    refund is made at Stripe, then the answer waits until the test lets it go."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.hold = False
        self.held = threading.Event()
        self.release = threading.Event()
        self.refunds_asked = 0  # POST /v1/refunds
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
                if self.command == "POST" and self.path.startswith("/v1/refunds"):
                    proxy.refunds_asked += 1
                    if proxy.hold:
                        proxy.held.set()
                        proxy.release.wait(timeout=60)
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                with contextlib.suppress(OSError):  # whoever asked may be gone (a killed worker)
                    self.wfile.write(payload)
                self.close_connection = True

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset(self) -> None:
        self.hold = False
        self.release.set()
        self.held.clear()
        self.release = threading.Event()
        self.refunds_asked = 0

    def __enter__(self) -> HoldingStripe:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
