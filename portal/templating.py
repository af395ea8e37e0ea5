"""The Jinja environment every page renders with."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from flask import Flask
from flask.templating import Environment as FlaskEnvironment


class Environment(FlaskEnvironment):
    """Flask's environment, with each template's globals kept as the environment's own dict.

    Jinja 3 layers a template's globals over the environment's in a `ChainMap`, and every render
    and every `{% include %}` flattens that map key by key in Python: 13 µs for our 25 globals,
    twice for the add-to-cart fragment (about a tenth of its time in the app). Flask never gives
    a template globals of its own, so a template can share the environment's dict: a C-speed
    copy, and still live (a global added later is seen). A template created with globals of its
    own (`from_string(..., globals=)`, even `{}`) gets Jinja's `ChainMap` as before; passing globals to
    `get_template` for a template already loaded would write them into the environment's, so
    pass values to `render()` instead. (pallets/jinja#2185 proposes the same speed-up upstream.)
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        if d is None:
            return self.globals
        return super().make_globals(d)


class Portal(Flask):
    jinja_environment = Environment
