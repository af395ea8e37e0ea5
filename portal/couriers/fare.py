"""The distance tariff every provider's quote starts from: base + per km, rounded up to Rp500."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app

from portal.couriers.contract import Job, Quote

EARTH_RADIUS_KM = 6371.0088
AVERAGE_SPEED_KMH = 25  # a motorbike in Banyuwangi town traffic
PICKUP_MINUTES = 10


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def job_distance_km(job: Job) -> float:
    return round(haversine_km(job.pickup.lat, job.pickup.lng, job.dropoff.lat, job.dropoff.lng), 1)


def fare_for(distance_km: float) -> int:
    config = current_app.config
    raw = config["COURIER_BASE_FARE"] + config["COURIER_PER_KM"] * distance_km
    rounded = int(math.ceil(raw / 500) * 500)
    return max(rounded, config["COURIER_MIN_FARE"])


def eta_minutes(distance_km: float) -> int:
    return PICKUP_MINUTES + math.ceil(distance_km / AVERAGE_SPEED_KMH * 60)


def tariff_quote(provider: str, job: Job, *, now: datetime) -> Quote:
    distance = job_distance_km(job)
    return Quote(
        provider=provider,
        fee=fare_for(distance),
        eta_minutes=eta_minutes(distance),
        distance_km=distance,
        expires_at=now + timedelta(seconds=current_app.config["COURIER_QUOTE_TTL"]),
    )
