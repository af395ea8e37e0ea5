"""The session's fake geocoder and tile server (tests/maps_server.py); every `app` uses them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.maps_server import FakeNominatim, FakeTiles


class FakeMaps:
    def __init__(self) -> None:
        self.geocoder = FakeNominatim()
        self.tiles = FakeTiles()

    @property
    def config(self) -> dict[str, object]:
        return {
            "GEOCODER_URL": self.geocoder.url,
            "GEOCODER_TIMEOUT": 2.0,
            "MAP_TILE_URL": self.tiles.template,
            "MAP_ATTRIBUTION": "Test tiles",
        }

    def stop(self) -> None:
        self.geocoder.stop()
        self.tiles.stop()


@pytest.fixture(scope="session")
def fake_maps() -> Iterator[FakeMaps]:
    maps = FakeMaps()
    yield maps
    maps.stop()


@pytest.fixture
def geocoder_server(fake_maps: FakeMaps, app) -> Iterator[FakeNominatim]:
    """The fake geocoder, its log empty and the app's cache cleared for this test."""
    fake_maps.geocoder.reset()
    client = app.extensions.get("geocoder")
    if client is not None:
        client.cache.clear()
    yield fake_maps.geocoder
    fake_maps.geocoder.reset()
