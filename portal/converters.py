"""URL converters registered on the app (before any blueprint adds its rules)."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from portal.forms import INT_MAX


class BoundedIntegerConverter(IntegerConverter):
    """`<int:id>` that matches only what an id column holds: /orders/99999999999999999999 is a
    404, not an OverflowError from the database driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=INT_MAX if max is None else max, signed=signed)


def init_app(app) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
