"""A busy evening in Banyuwangi, for Locust (`make bench-prod` runs it headless; bench/prod.py).

Who comes, in what proportion (`weight`), and how long each waits between two clicks
(`wait_time`, the think time). Accounts are the ones bench/prod.py seeds (password below);
each simulated person has their own address (X-Forwarded-For, trusted by PROXY_HOPS=2), as
phones on the street would, so per-address rate limits see many people, not one.

| who | weight | think time | what they do |
| --- | --- | --- | --- |
| tourist browsing food | 40 | 3-12 s | warung list (some search), menus, add to cart; 1 in 4 checks out (cash) |
| customer tracking an order | 20 | 5 s (htmx poll) | polls their order page with If-None-Match, as the page does |
| anonymous visitor | 15 | 4-15 s | home, warung list, a menu, the Ijen rides page |
| Ijen ride booker | 10 | 5-15 s | rides page, a package's departures, books a seat now and then |
| warung owner | 8 | 5 s (htmx poll) | their orders board, polled with If-None-Match |
| driver | 7 | 10 s (htmx poll) | courier workspace (polled) and the Ijen driver page |
"""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, constant, task

PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-password")
TOURISTS = int(os.environ.get("BENCH_TOURISTS", "300"))
OWNERS = int(os.environ.get("BENCH_OWNERS", "40"))
DRIVERS = int(os.environ.get("BENCH_DRIVERS", "20"))
_serial = itertools.count()

CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WARUNG_LINK = re.compile(r'href="/warungs/([a-z0-9-]+)"')
ADD_DISH = re.compile(r'name="dish_id" value="(\d+)"')
PACKAGE_LINK = re.compile(r'href="/rides/([a-z0-9-]+)\?date=([0-9-]+)"')
DEPARTURE = re.compile(r'name="departure" value="(\d+)"')
INPUT = re.compile(r"<input\b[^>]*>")
ATTRIBUTE = re.compile(r'\b(name|value)="([^"]*)"')
ETAG = re.compile(r'data-etag="([^"]+)"')
SEARCHES = ["sego", "rujak", "pecel", "bakso", "ayam", "kopi"]


def fields(html: str) -> dict[str, str]:
    """name -> value of every input with both (the first of each name), in any attribute order."""
    found: dict[str, str] = {}
    for tag in INPUT.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes and "value" in attributes:
            found.setdefault(attributes["name"], attributes["value"])
    return found


class Person(HttpUser):
    abstract = True
    email: str | None = None

    def on_start(self) -> None:
        # The topology's self-signed certificate, trusted by name (bench/prod.py passes its path).
        self.client.verify = os.environ.get("BENCH_CA_FILE") or True
        n = next(_serial)
        self.client.headers["X-Forwarded-For"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256 + 1}"
        self.client.headers["User-Agent"] = "gancang-locust/1 (Android; a phone in Banyuwangi)"
        # Over https Flask-WTF checks that a form came from this site's pages, as a browser says.
        self.client.headers["Referer"] = f"{self.host}/"
        self.csrf = ""
        if self.email:
            self.log_in(self.email)

    def log_in(self, email: str) -> None:
        page = self.client.get("/login", name="/login")
        token = FORM_CSRF.search(page.text)
        response = self.client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""},
            name="/login [POST]",
        )
        self.remember_csrf(response.text)

    def remember_csrf(self, html: str) -> None:
        match = CSRF.search(html)
        if match:
            self.csrf = match.group(1)

    def page(self, path: str, name: str | None = None):
        response = self.client.get(path, name=name or path)
        self.remember_csrf(response.text)
        return response

    def poll(self, path: str, name: str, etag: str | None) -> str | None:
        """An htmx poll: the fragment, or 304 when nothing changed (what the page's JS sends)."""
        headers = {"HX-Request": "true"}
        if etag:
            headers["If-None-Match"] = etag
        with self.client.get(path, name=name, headers=headers, catch_response=True) as response:
            if response.status_code == 304:
                response.success()
                return etag
            return response.headers.get("ETag") or etag


class Tourist(Person):
    weight = 40
    wait_time = between(3, 12)

    def on_start(self) -> None:
        self.email = f"tourist{random.randrange(TOURISTS)}@bench.example"
        super().on_start()
        self.slugs: list[str] = []

    @task(3)
    def browse(self) -> None:
        query = f"?q={random.choice(SEARCHES)}" if random.random() < 0.3 else ""
        listing = self.page(f"/warungs{query}", name="/warungs")
        self.slugs = WARUNG_LINK.findall(listing.text) or self.slugs

    @task(6)
    def menu_and_cart(self) -> None:
        if not self.slugs:
            return self.browse()
        menu = self.page(f"/warungs/{random.choice(self.slugs)}", name="/warungs/[slug]")
        dishes = ADD_DISH.findall(menu.text)
        if dishes and random.random() < 0.5:
            self.client.post(
                "/cart/items",
                data={"dish_id": random.choice(dishes), "quantity": "1"},
                headers={"HX-Request": "true", "X-CSRFToken": self.csrf},
                name="/cart/items [POST]",
            )
        return None

    @task(1)
    def check_out(self) -> None:
        cart = self.page("/cart", name="/cart")
        form = fields(cart.text)
        if "warung_id" not in form:
            return
        place = {
            "warung_id": form["warung_id"],
            "address": "Homestay Kemiren, Jl. Kemiren 3",
            "latitude": "-8.2127",
            "longitude": "114.3204",
            "note": "",
            "payment_method": "cash",
            "csrf_token": self.csrf,
        }
        review = self.client.post("/checkout", data=place, name="/checkout (price)")
        priced = fields(review.text)
        if priced.get("token") and priced.get("expected_total"):
            placed = self.client.post(
                "/checkout",
                data={**place, "token": priced["token"], "expected_total": priced["expected_total"]},
                name="/checkout (place)",
            )
            self.remember_csrf(placed.text)


class Tracker(Person):
    """A customer whose order is on its way: the order page polls itself every 5 s."""

    weight = 20
    wait_time = constant(5)

    def on_start(self) -> None:
        self.email = f"tourist{random.randrange(TOURISTS)}@bench.example"
        super().on_start()
        orders = re.findall(r'href="/orders/(\d+)"', self.page("/my/activity", name="/my/activity").text)
        self.order = orders[0] if orders else None
        self.etag: str | None = None

    @task
    def track(self) -> None:
        if self.order is None:
            self.page("/warungs", name="/warungs")
            return
        self.etag = self.poll(f"/orders/{self.order}", "/orders/[id] (poll)", self.etag)


class Visitor(Person):
    weight = 15
    wait_time = between(4, 15)

    @task(2)
    def home(self) -> None:
        self.page("/", name="/")

    @task(3)
    def warungs(self) -> None:
        slugs = WARUNG_LINK.findall(self.page("/warungs", name="/warungs").text)
        if slugs:
            self.page(f"/warungs/{random.choice(slugs)}", name="/warungs/[slug]")

    @task(2)
    def rides(self) -> None:
        self.page("/rides", name="/rides")


class RideBooker(Person):
    weight = 10
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.email = f"tourist{random.randrange(TOURISTS)}@bench.example"
        super().on_start()

    @task
    def departures(self) -> None:
        packages = PACKAGE_LINK.findall(self.page("/rides", name="/rides").text)
        if not packages:
            return
        slug, night = random.choice(packages)
        page = self.page(f"/rides/{slug}?date={night}", name="/rides/[package]")
        departures = DEPARTURE.findall(page.text)
        token = fields(page.text).get("token", "")
        if departures and random.random() < 0.3:
            with self.client.post(
                "/rides/bookings",
                data={
                    "package": slug,
                    "date": night,
                    "departure": random.choice(departures),
                    "pickup_address": "Homestay Ijen View, Licin",
                    "token": token,
                    "csrf_token": self.csrf,
                },
                name="/rides/bookings [POST]",
                catch_response=True,
            ) as response:
                if response.status_code in (409, 422):  # sold out, past the cutoff: an answer, not an error
                    response.success()


class Owner(Person):
    weight = 8
    wait_time = constant(5)

    def on_start(self) -> None:
        self.email = f"owner{random.randrange(OWNERS)}@bench.example"
        super().on_start()
        self.page("/my/warung/orders", name="/my/warung/orders")
        self.etag: str | None = None

    @task
    def board(self) -> None:
        self.etag = self.poll("/my/warung/orders", "/my/warung/orders (poll)", self.etag)


class Driver(Person):
    weight = 7
    wait_time = constant(10)

    def on_start(self) -> None:
        self.email = f"driver{random.randrange(DRIVERS)}@bench.example"
        super().on_start()
        self.etag: str | None = None

    @task(5)
    def workspace(self) -> None:
        self.etag = self.poll("/courier", "/courier (poll)", self.etag)

    @task(1)
    def ijen_rides(self) -> None:
        self.page("/rides/driver", name="/rides/driver")
