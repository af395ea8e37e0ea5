from __future__ import annotations

import factory

from portal.accounts.models import Role
from portal.food.models import Dish, OpeningPeriod, Warung, WarungStatus
from tests.factories import BaseFactory, UserFactory


class WarungFactory(BaseFactory):
    class Meta:
        model = Warung

    owner = factory.SubFactory(UserFactory, roles=[Role.OWNER])
    name = factory.Sequence(lambda n: f"Warung Nomor {n}")
    slug = factory.Sequence(lambda n: f"warung-{n}")
    description = "Masakan rumahan Banyuwangi"
    address = "Jl. Kepiting 1, Banyuwangi"
    lat = -8.2089
    lng = 114.3752
    phone = "+6281234500000"
    status = WarungStatus.VERIFIED

    @factory.post_generation
    def hours(self, create: bool, extracted, **kwargs) -> None:
        """hours="always" (default: open every minute of every day), or a list of (weekday, opens, closes)."""
        spans = [(day, 0, 0) for day in range(7)] if extracted in (None, "always") else extracted
        for weekday, opens, closes in spans:
            self.periods.append(OpeningPeriod(weekday=weekday, opens=opens, closes=closes))


class DishFactory(BaseFactory):
    class Meta:
        model = Dish

    warung = factory.SubFactory(WarungFactory)
    name = factory.Sequence(lambda n: f"Sego Tempong {n}")
    name_en = ""
    price = 20000
    category = "Nasi"
    position = factory.Sequence(lambda n: n)
