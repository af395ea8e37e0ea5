"""Static files with content-hashed URLs, so browsers may cache them for a year."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, request, url_for

YEAR = 60 * 60 * 24 * 365


def init_app(app: Flask) -> None:
    static = Path(app.static_folder or "")

    @cache
    def digest(filename: str) -> str:
        path = static / filename
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "missing"

    def asset(filename: str) -> str:
        version = digest(filename) if not app.debug else digest.__wrapped__(filename)
        return url_for("static", filename=filename, v=version)

    app.add_template_global(asset)

    @app.after_request
    def _cache_fingerprinted(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.max_age = YEAR
            response.cache_control.public = True
            response.cache_control.immutable = True
        return response
