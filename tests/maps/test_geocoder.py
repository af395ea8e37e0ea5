"""The geocoder client against the fake Nominatim (tests/maps_server.py), and /maps/search."""

from __future__ import annotations

import pytest

from portal.maps.geocoder import Geocoder, GeocoderUnavailable, geocoder


@pytest.fixture
def nominatim(geocoder_server):
    return Geocoder(geocoder_server.url, user_agent="Gancang-test/1.0", timeout=2, cache_seconds=60)


def test_search_speaks_nominatims_shape_and_finds_banyuwangi_places(nominatim, geocoder_server):
    places = nominatim.search("Pantai Boom", language="en")
    assert [p.name.split(",")[0] for p in places] == ["Pantai Boom", "Pantai Pulau Merah"]  # best first
    assert (places[0].lat, places[0].lng) == (-8.211, 114.379)
    sent = geocoder_server.requests[-1]
    assert sent.path == "/search"
    assert sent.args["format"] == "jsonv2" and sent.args["countrycodes"] == "id" and sent.args["limit"] == "5"
    assert sent.args["accept-language"] == "en" and sent.args["bounded"] == "1"
    assert sent.headers["User-Agent"] == "Gancang-test/1.0"  # Nominatim's policy: say who asks


def test_answers_are_cached(nominatim, geocoder_server):
    first = nominatim.search("Osing Kemiren Homestay")
    again = nominatim.search("  osing   kemiren homestay ")
    assert first == again and len(geocoder_server.requests) == 1
    assert nominatim.reverse(-8.21271, 114.32041) == nominatim.reverse(-8.21271, 114.32041)
    assert len(geocoder_server.requests) == 2


def test_reverse_names_the_place_or_nothing(nominatim):
    assert nominatim.reverse(-8.2127, 114.3204).name.startswith("Osing Kemiren Homestay")
    assert nominatim.reverse(-8.5, 114.3) is None  # nothing known there: {"error": ...}


@pytest.mark.parametrize("fault", ["500", "503", "malformed"])
def test_a_failing_geocoder_is_said_not_to_answer(nominatim, geocoder_server, fault):
    geocoder_server.fail_next(fault)
    with pytest.raises(GeocoderUnavailable):
        nominatim.search("Pantai Boom")
    assert nominatim.search("Pantai Boom")  # the failure was not cached


def test_an_unreachable_geocoder_is_said_not_to_answer():
    down = Geocoder("http://127.0.0.1:9", user_agent="t", timeout=0.5, cache_seconds=60)
    with pytest.raises(GeocoderUnavailable):
        down.search("Pantai Boom")


def test_the_app_geocoder_follows_the_configuration(app, geocoder_server):
    assert geocoder().base_url == geocoder_server.url
    assert geocoder().http.headers["User-Agent"] == app.config["GEOCODER_USER_AGENT"]


# -- /maps/search and /maps/reverse --------------------------------------------------------------


def test_search_endpoint_needs_a_login(client, geocoder_server):
    response = client.get("/maps/search?q=Pantai+Boom")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_search_endpoint_answers_json_in_the_users_language(client, auth, customer, geocoder_server):
    auth.login(customer)
    answer = client.get("/maps/search?q=Pantai+Boom")
    assert answer.status_code == 200
    assert answer.json["results"][0] == {
        "name": "Pantai Boom, Kampung Mandar, Banyuwangi, Jawa Timur",
        "lat": -8.211,
        "lng": 114.379,
    }
    assert answer.headers["Cache-Control"].startswith("private")
    assert geocoder_server.requests[-1].args["accept-language"] == "en"
    nothing = client.get("/maps/search?q=Menara+Eiffel")
    assert nothing.json["results"] == [] and "Nothing found in Banyuwangi" in nothing.json["error"]
    assert client.get("/maps/search?q=ab").status_code == 422
    geocoder_server.fail_next("500")
    down = client.get("/maps/search?q=Taman+Blambangan")
    assert down.status_code == 503 and "Drag the pin" in down.json["error"]


def test_reverse_endpoint(client, auth, customer):
    auth.login(customer)
    assert client.get("/maps/reverse?lat=-8.2146&lng=114.3695").json["name"].startswith("Pendopo")
    assert client.get("/maps/reverse?lat=48.85&lng=2.29").status_code == 422


@pytest.mark.parametrize("app", [{"GEOCODER_RATE_LIMIT": "3 per minute"}], indirect=True)
def test_search_endpoint_is_rate_limited(client, auth, customer):
    auth.login(customer)
    codes = [client.get(f"/maps/search?q=Pantai+Boom+{n}").status_code for n in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
