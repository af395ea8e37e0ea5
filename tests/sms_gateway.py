"""A real HTTP server on loopback that speaks Zenziva's SMS API shape and records what it is sent.

Tests steer it directly (same process): make the next answers fail (503, a timeout, a refusal).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

USERKEY = "gancang-userkey"
PASSKEY = "gancang-passkey"


class FakeSmsGateway:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []  # accepted: {"to", "message"}
        self.calls = 0
        self.faults: deque[str] = deque()  # "503", "slow", "refuse" for the next calls
        self.slow_seconds = 2.0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/reguler/api/sendsms/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSmsGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.faults.clear()
            self.calls = 0

    def fail_next(self, *faults: str) -> None:
        self.faults.extend(faults)

    def to(self, phone: str) -> list[str]:
        return [m["message"] for m in self.messages if m["to"] == phone]

    def wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.calls += 1
            fault = self.faults.popleft() if self.faults else None
        if fault == "slow":  # the client has given up by the time this answers: record nothing
            time.sleep(self.slow_seconds)
            return Response("too late", status=504)(environ, start_response)
        if fault == "503":
            return Response("busy", status=503)(environ, start_response)
        form = request.form
        if request.method != "POST" or request.path != "/reguler/api/sendsms/":
            return Response("not found", status=404)(environ, start_response)
        if form.get("userkey") != USERKEY or form.get("passkey") != PASSKEY:
            return self._json({"status": "0", "text": "Userkey / Passkey Salah"}, environ, start_response)
        if fault == "refuse" or not form.get("to", "").lstrip("+").isdigit():
            return self._json({"status": "0", "text": "Nomor tujuan tidak valid"}, environ, start_response)
        with self._lock:
            self.messages.append({"to": form["to"], "message": form.get("message", "")})
            message_id = next(self._ids)
        body = {"messageId": str(message_id), "to": form["to"], "status": "1", "text": "Success", "cost": 300}
        return self._json(body, environ, start_response)

    @staticmethod
    def _json(body: dict, environ, start_response):
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
