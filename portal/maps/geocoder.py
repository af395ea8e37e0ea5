"""A Nominatim-shaped geocoder over httpx: address search and reverse lookup, cached.

The map picker's search box asks our server (portal/maps/routes.py), never the geocoder itself:
one User-Agent, one cache and one rate limit for everyone, as Nominatim's usage policy asks
(https://operations.osmfoundation.org/policies/nominatim/). GEOCODER_URL points it elsewhere
(a self-hosted Nominatim, or the fake server in the tests).

The cache is a small time-to-live cache in this process (no shared cache is configured yet):
a lost entry costs one more lookup, nothing else.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from flask import current_app

log = logging.getLogger(__name__)

# Banyuwangi regency (left, top, right, bottom): searches stay inside it.
VIEWBOX = "113.8,-7.7,114.7,-8.9"
LAT_RANGE = (-8.9, -7.7)
LNG_RANGE = (113.8, 114.7)


def in_banyuwangi(lat: float, lng: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LNG_RANGE[0] <= lng <= LNG_RANGE[1]


class GeocoderUnavailable(Exception):
    """The geocoder did not answer, or answered something we cannot read."""


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lng: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class TTLCache:
    """At most `size` answers, each for `seconds`; the oldest go first."""

    def __init__(self, seconds: int, size: int = 2000) -> None:
        self.seconds = seconds
        self.size = size
        self._items: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < time.monotonic():
                self._items.pop(key, None)
                return None
            self._items.move_to_end(key)
            return hit[1]

    def set(self, key: tuple, value: Any) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic() + self.seconds, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _place(item: Any) -> Place | None:
    try:
        lat, lng = float(item["lat"]), float(item["lon"])
        name = str(item.get("display_name") or item.get("name") or "").strip()
    except (KeyError, TypeError, ValueError):
        return None
    return Place(name=name[:300], lat=round(lat, 6), lng=round(lng, 6)) if name else None


class Geocoder:
    def __init__(self, base_url: str, *, user_agent: str, timeout: float, cache_seconds: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, headers={"User-Agent": user_agent})
        self.cache = TTLCache(cache_seconds)

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = self.http.get(path, params=params)
        except httpx.HTTPError as error:
            log.warning("geocoder %s failed: %s", path, error)
            raise GeocoderUnavailable(str(error)) from error
        if response.status_code >= 400:
            log.warning("geocoder %s answered %s", path, response.status_code)
            raise GeocoderUnavailable(f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as error:
            raise GeocoderUnavailable("not JSON") from error

    def search(self, query: str, *, language: str = "id", limit: int = 5) -> list[Place]:
        """Places in Banyuwangi matching `query`, best first (at most `limit`)."""
        query = " ".join(query.split())[:200]
        if not query:
            return []
        key = ("search", query.casefold(), language, limit)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        params = {
            "q": query,
            "format": "jsonv2",
            "countrycodes": "id",
            "limit": limit,
            "viewbox": VIEWBOX,
            "bounded": 1,
            "accept-language": language,
        }
        answer = self._get("/search", params)
        if not isinstance(answer, list):
            raise GeocoderUnavailable("search answer is not a list")
        places = [p for p in map(_place, answer) if p is not None and in_banyuwangi(p.lat, p.lng)][:limit]
        self.cache.set(key, places)
        return places

    def reverse(self, lat: float, lng: float, *, language: str = "id") -> Place | None:
        """The address at a point, or None where the geocoder knows none."""
        lat, lng = round(lat, 5), round(lng, 5)  # about a metre: nearby taps share an answer
        key = ("reverse", lat, lng, language)
        cached = self.cache.get(key)
        if cached is not None:
            return cached or None
        answer = self._get("/reverse", {"lat": lat, "lon": lng, "format": "jsonv2", "accept-language": language})
        place = _place(answer) if isinstance(answer, dict) and "error" not in answer else None
        self.cache.set(key, place or False)
        return place


def geocoder() -> Geocoder:
    """The app's geocoder, made on first use from its configuration."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = app.extensions.get("geocoder")
    if client is None or client.base_url != app.config["GEOCODER_URL"].rstrip("/"):
        client = Geocoder(
            app.config["GEOCODER_URL"],
            user_agent=app.config["GEOCODER_USER_AGENT"],
            timeout=app.config["GEOCODER_TIMEOUT"],
            cache_seconds=app.config["GEOCODER_CACHE_SECONDS"],
        )
        app.extensions["geocoder"] = client
    return client
