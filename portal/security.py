"""Security headers on every response: the CSP allows no inline script anywhere."""

from __future__ import annotations

from flask import Flask, Response


def tile_origin(config) -> list[str]:
    """scheme://host[:port] of MAP_TILE_URL (https://{s}.tile.example/{z}/{x}/{y}.png -> https://*.tile.example)."""
    url = config.get("MAP_TILE_URL") or ""
    scheme, _, rest = url.partition("://")
    if not rest:
        return []
    return [f"{scheme}://{rest.split('/', 1)[0]}".replace("{s}.", "*.")]


def content_security_policy(config) -> str:
    script = ["'self'", *config["CSP_SCRIPT_SRC"]]
    frame = ["'self'", *config["CSP_FRAME_SRC"]]
    connect = ["'self'", *config["CSP_CONNECT_SRC"]]
    directives = {
        "default-src": ["'self'"],
        "script-src": script,
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *config["CSP_IMG_SRC"], *tile_origin(config)],
        "font-src": ["'self'"],
        "connect-src": connect,
        "frame-src": frame,
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(sources))}" for name, sources in directives.items())


# A stylesheet or a script is never a document: the browser ignores a CSP, framing and
# permissions policy sent with it (the page's own apply), and on a phone's first visit their
# ~600 bytes per file add up. SVG keeps them: an image can be opened as a document.
SUBRESOURCES = frozenset({"text/css", "text/javascript", "application/javascript"})


def init_app(app: Flask) -> None:
    # Built once, at the first response: domains (payments) add their sources from the final config.
    policy: list[str] = []

    @app.after_request
    def _headers(response: Response) -> Response:
        if not policy:
            policy.append(content_security_policy(app.config))
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype not in SUBRESOURCES:
            headers.setdefault("Content-Security-Policy", policy[0])
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
            headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
