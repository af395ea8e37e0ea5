"""Real HTTP servers on loopback for the maps: a geocoder speaking Nominatim's API shape
(/search, /reverse, format=jsonv2) that knows a few Banyuwangi places, and a tile server that
answers every /{z}/{x}/{y}.png with one small PNG. No test needs the internet.

Tests steer the geocoder directly (same process): `fail_next("500")`, read `requests`.
"""

from __future__ import annotations

import io
import json
import math
import threading
from collections import deque

from PIL import Image, ImageDraw
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

# (display_name, lat, lon): what a Nominatim search would find, by the words a user types.
PLACES = [
    ("Pendopo Sabha Swagata Blambangan, Jalan Sritanjung, Taman Baru, Banyuwangi, Jawa Timur", -8.2146, 114.3695),
    ("Taman Blambangan, Jalan Dr. Sutomo, Kepatihan, Banyuwangi, Jawa Timur", -8.2155, 114.3713),
    ("Pantai Boom, Kampung Mandar, Banyuwangi, Jawa Timur", -8.2110, 114.3790),
    ("Osing Kemiren Homestay, Jalan Barong, Kemiren, Glagah, Banyuwangi, Jawa Timur", -8.2127, 114.3204),
    ("Pondok Ijen Homestay, Jalan Ijen, Licin, Banyuwangi, Jawa Timur", -8.1688, 114.2805),
    ("Pelabuhan Ketapang, Ketapang, Kalipuro, Banyuwangi, Jawa Timur", -8.1425, 114.3999),
    ("Pantai Pulau Merah, Sumberagung, Pesanggaran, Banyuwangi, Jawa Timur", -8.6026, 114.0233),
    ("Jalan Ahmad Yani, Penganjuran, Banyuwangi, Jawa Timur", -8.2190, 114.3680),
    ("Jalan Kepiting, Sobo, Banyuwangi, Jawa Timur", -8.2110, 114.3612),
]


def _tile_png() -> bytes:
    """A 256 px tile: pale land with a grid, so a screenshot shows where the map is."""
    image = Image.new("RGB", (256, 256), (242, 239, 233))
    draw = ImageDraw.Draw(image)
    for at in range(0, 256, 64):
        draw.line([(at, 0), (at, 255)], fill=(214, 208, 198))
        draw.line([(0, at), (255, at)], fill=(214, 208, 198))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


PNG = _tile_png()


def _words(text: str) -> set[str]:
    return {w for w in "".join(c if c.isalnum() else " " for c in text.casefold()).split() if len(w) > 2}


class _Server:
    def __init__(self) -> None:
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)

    def wsgi(self, environ, start_response):
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:  # pragma: no cover - overridden
        raise NotImplementedError


class FakeNominatim(_Server):
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: deque[str] = deque()
        super().__init__()

    def fail_next(self, *faults: str) -> None:
        self.faults.extend(faults)

    def reset(self) -> None:
        self.requests.clear()
        self.faults.clear()

    def answer(self, request: Request) -> Response:
        self.requests.append(request)
        if self.faults:
            fault = self.faults.popleft()
            if fault == "malformed":
                return Response("<html>busy</html>", content_type="text/html")
            return Response("server error", status=int(fault))
        if request.path == "/search":
            return self.search(request)
        if request.path == "/reverse":
            return self.reverse(request)
        return Response("not found", status=404)

    def _json(self, value) -> Response:
        return Response(json.dumps(value), content_type="application/json")

    def _item(self, index: int, name: str, lat: float, lng: float) -> dict:
        return {
            "place_id": 1000 + index,
            "osm_type": "node",
            "lat": f"{lat:.7f}",
            "lon": f"{lng:.7f}",
            "category": "place",
            "type": "house",
            "display_name": name,
            "name": name.split(",")[0],
        }

    def search(self, request: Request) -> Response:
        args = request.args
        if args.get("format") != "jsonv2" or not args.get("q"):
            return Response("format=jsonv2 and q are required", status=400)
        wanted = _words(args["q"]) - {"banyuwangi", "jawa", "timur", "jalan", "jl"}
        hits = [
            (len(wanted & _words(name)), index, name, lat, lng)
            for index, (name, lat, lng) in enumerate(PLACES)
            if wanted & _words(name)
        ]
        hits.sort(key=lambda hit: (-hit[0], hit[1]))
        limit = int(args.get("limit", 10))
        return self._json([self._item(i, name, lat, lng) for _, i, name, lat, lng in hits[:limit]])

    def reverse(self, request: Request) -> Response:
        try:
            lat, lng = float(request.args["lat"]), float(request.args["lon"])
        except (KeyError, ValueError):
            return Response("lat and lon are required", status=400)
        nearest = min(enumerate(PLACES), key=lambda p: math.hypot(p[1][1] - lat, p[1][2] - lng), default=None)
        index, (name, plat, plng) = nearest
        if math.hypot(plat - lat, plng - lng) > 0.05:  # about 5 km: nothing known there
            return self._json({"error": "Unable to geocode"})
        return self._json(self._item(index, name, lat, lng))


class FakeTiles(_Server):
    """Every /{z}/{x}/{y}.png is the same tiny PNG; it counts what was asked."""

    def __init__(self) -> None:
        self.served = 0
        super().__init__()

    @property
    def template(self) -> str:
        return f"{self.url}/{{z}}/{{x}}/{{y}}.png"

    def answer(self, request: Request) -> Response:
        if not request.path.endswith(".png"):
            return Response("not found", status=404)
        self.served += 1
        return Response(PNG, content_type="image/png", headers={"Cache-Control": "max-age=3600"})
