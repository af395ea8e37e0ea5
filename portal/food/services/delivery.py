"""What food asks of a courier: the job from the warung to the customer, and its price."""

from __future__ import annotations

from datetime import datetime

from portal.accounts.models import User
from portal.couriers import services as couriers
from portal.couriers.contract import Job, Purpose, Quote, Requirements, Stop
from portal.food.models import Warung
from portal.food.services.errors import FoodError


def courier_job(
    warung: Warung,
    customer: User,
    address: str,
    lat: float,
    lng: float,
    note: str,
    description: str = "",
    reference: str = "",
    cash_to_collect: int = 0,
) -> Job:
    pickup = Stop(name=warung.name, phone=warung.phone, address=warung.address, lat=warung.lat, lng=warung.lng)
    dropoff = Stop(name=customer.name, phone=customer.phone, address=address, lat=lat, lng=lng, note=note or "")
    return Job(
        purpose=Purpose.FOOD,
        pickup=pickup,
        dropoff=dropoff,
        requirements=Requirements(pin=True),  # the customer gives the courier a PIN at the door
        reference=reference,
        description=description,
        cash_to_collect=cash_to_collect,
    )


def quote_fee(
    warung: Warung,
    customer: User,
    address: str,
    lat: float,
    lng: float,
    note: str = "",
    *,
    now: datetime | None = None,
) -> Quote:
    try:
        return couriers.quote(courier_job(warung, customer, address, lat, lng, note), now=now)
    except couriers.CourierError as error:
        raise FoodError(str(error)) from None
