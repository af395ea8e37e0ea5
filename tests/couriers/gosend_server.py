"""A real HTTP server on loopback that speaks GoSend's API shape, for the provider's tests.

Tests steer it directly (same process): make the next answers slow, 5xx or malformed, refuse
a booking, move a booking's status, and build the webhook GoSend would send.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "gancang-test"
PASS_KEY = "test-pass-key"
CALLBACK_TOKEN = "test-callback-token"

# Webhook status -> the words GoSend's status API uses for the same state.
PULL_WORDS = {
    "confirmed": "Finding Driver",
    "allocated": "Driver Allocated",
    "out_for_pickup": "Enroute Pickup",
    "picked": "Item Picked",
    "out_for_delivery": "Enroute Drop",
    "delivered": "Completed",
    "cancelled": "Cancelled",
    "rejected": "Rejected",
    "no_driver": "Driver not found",
    "on_hold": "On Hold",
}


class FakeGoSend:
    def __init__(self) -> None:
        self.bookings: dict[str, dict] = {}
        self.by_store_order: dict[str, str] = {}
        self.faults: deque[str] = deque()  # "slow", "500", "malformed" for the next calls
        self.slow_seconds = 1.0
        self.serviceable = True
        self.refuse_bookings = False
        self.calls: list[tuple[str, str]] = []
        self._numbers = itertools.count(1001)
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- steering -------------------------------------------------------------------------------

    def fail_next(self, *faults: str) -> None:
        self.faults.extend(faults)

    def set_status(self, order_no: str, status: str, *, driver: bool = True) -> dict:
        booking = self.bookings[order_no]
        booking["status"] = status
        booking["updated"] = booking["updated"] + timedelta(seconds=1)
        if driver and status not in ("confirmed", "no_driver", "cancelled"):
            booking["driverName"], booking["driverPhone"] = "Agus GoSend", "+6281299990000"
        return self.webhook(order_no)

    def webhook(self, order_no: str) -> dict:
        """The body GoSend POSTs to our callback URL for the booking's current status."""
        booking = self.bookings[order_no]
        return {
            "entity_id": order_no,
            "type": "COURIER_STATUS",
            "status": booking["status"],
            "event_date": booking["updated"].isoformat(),
            "event_id": f"evt-{order_no}-{booking['status']}",
            "driver_name": booking.get("driverName", ""),
            "driver_phone": booking.get("driverPhone", ""),
            "booking_id": booking["id"],
            "store_order_id": booking["storeOrderId"],
            "cancellation_reason": "",
            "booking_type": "instant",
        }

    # -- HTTP -----------------------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.calls.append((request.method, request.path))
        if request.headers.get("Client-ID") != CLIENT_ID or request.headers.get("Pass-Key") != PASS_KEY:
            return self._json({"errors": [{"message": "unauthorized"}]}, 401)(environ, start_response)
        fault = self.faults.popleft() if self.faults else None
        if fault == "slow":
            time.sleep(self.slow_seconds)
        elif fault == "500":
            return self._json({"message": "internal error"}, 500)(environ, start_response)
        elif fault == "malformed":
            return Response("<html>gateway</html>", 200, content_type="application/json")(environ, start_response)
        return self.route(request)(environ, start_response)

    def route(self, request: Request) -> Response:
        path = request.path.removeprefix("/gokilat/v10")
        if request.method == "GET" and path == "/calculate/price":
            origin = [float(x) for x in request.args["origin"].split(",")]
            destination = [float(x) for x in request.args["destination"].split(",")]
            distance = round(((origin[0] - destination[0]) ** 2 + (origin[1] - destination[1]) ** 2) ** 0.5 * 111, 2)
            return self._json(
                {
                    "Instant": {
                        "shipment_method": "Instant",
                        "serviceable": self.serviceable,
                        "active": True,
                        "distance": distance,
                        "shipment_method_description": "Instant 1-2 hours" if self.serviceable else "Out of coverage",
                        "price": {"total_price": 12000 + int(distance * 2000)},
                    }
                }
            )
        if request.method == "POST" and path == "/booking":
            body = request.get_json()
            route = body["routes"][0]
            if self.refuse_bookings:
                return self._json({"errors": [{"message": "Destination out of coverage"}]}, 400)
            with self._lock:
                existing = self.by_store_order.get(route["storeOrderId"])
                if existing:
                    return self._json({"id": self.bookings[existing]["id"], "orderNo": existing}, 201)
                number = next(self._numbers)
                order_no = f"GK-11-{number}"
                self.bookings[order_no] = {
                    "id": number,
                    "orderNo": order_no,
                    "status": "confirmed",
                    "storeOrderId": route["storeOrderId"],
                    "route": route,
                    "updated": datetime.now(UTC).replace(microsecond=0),
                }
                self.by_store_order[route["storeOrderId"]] = order_no
            return self._json({"id": number, "orderNo": order_no, "bookingType": "instant"}, 201)
        if request.method == "GET" and path.startswith("/booking/orderno/"):
            booking = self.bookings.get(path.rsplit("/", 1)[1])
            return self._status(booking)
        if request.method == "GET" and path.startswith("/booking/storeOrderId/"):
            order_no = self.by_store_order.get(path.rsplit("/", 1)[1])
            return self._status(self.bookings.get(order_no) if order_no else None)
        if request.method == "PUT" and path == "/booking/cancel":
            booking = self.bookings.get(request.get_json().get("orderNo"))
            if booking is None:
                return self._json({"errors": [{"message": "Order not found"}]}, 404)
            if booking["status"] in ("picked", "out_for_delivery", "delivered"):
                return self._json({"errors": [{"message": "Cannot cancel after pickup"}]}, 422)
            self.set_status(booking["orderNo"], "cancelled")
            return self._json({"statusCode": 200, "message": "Order cancelled"})
        return self._json({"errors": [{"message": "not found"}]}, 404)

    def _status(self, booking: dict | None) -> Response:
        if booking is None:
            return self._json({"errors": [{"message": "Order not found"}]}, 404)
        return self._json(
            {
                "id": booking["id"],
                "orderNo": booking["orderNo"],
                "status": PULL_WORDS[booking["status"]],
                "driverName": booking.get("driverName", ""),
                "driverPhone": booking.get("driverPhone", ""),
                "storeOrderId": booking["storeOrderId"],
                "updatedTime": booking["updated"].isoformat(),
            }
        )

    @staticmethod
    def _json(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status, content_type="application/json")

    def __enter__(self) -> FakeGoSend:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
