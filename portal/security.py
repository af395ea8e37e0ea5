"""Security headers on every response (the CSP allows no inline script anywhere), and the
signed session cookie, verified once per process rather than on every request."""

from __future__ import annotations

import copy
import threading
import time

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with two costs of every signed-in request taken out:

    - the signing serializer is built once per secret key, not per request;
    - a cookie whose signature this process has verified is not verified and decoded again: the
      exact cookie string maps to its data and signing time. The age limit is still checked on
      every request, a tampered or unknown cookie still goes through itsdangerous, and each
      request gets its own deep copy of the data.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._serializer: tuple[tuple, URLSafeTimedSerializer | None] | None = None
        self._verified: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            with self._lock:
                self._serializer = cached
                self._verified.clear()  # verified under other keys
        return cached[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = self._verified.get(cookie)
        if verified is None:
            try:
                data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
            except BadSignature:  # tampered, signed with another key, or too old
                return self.session_class()
            verified = (signed_at.timestamp(), data)
            with self._lock:
                if len(self._verified) >= self._size:
                    self._verified.pop(next(iter(self._verified)))  # the oldest
                self._verified[cookie] = verified
        elif time.time() - verified[0] > max_age:
            return self.session_class()
        return self.session_class(copy.deepcopy(verified[1]))

    def save_session(self, app: Flask, session, response: Response) -> None:
        """Flask reads seven cookie settings before it sees that an unchanged session sets no
        cookie: most requests (every poll) stop here."""
        if not session.modified and not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def content_security_policy(config) -> str:
    script = ["'self'", *config["CSP_SCRIPT_SRC"]]
    frame = ["'self'", *config["CSP_FRAME_SRC"]]
    connect = ["'self'", *config["CSP_CONNECT_SRC"]]
    directives = {
        "default-src": ["'self'"],
        "script-src": script,
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": connect,
        "frame-src": frame,
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(sources))}" for name, sources in directives.items())


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    # Built once, at the first response: domains (payments) add their sources from the final config.
    policy: list[str] = []

    @app.after_request
    def _headers(response: Response) -> Response:
        if not policy:
            policy.append(content_security_policy(app.config))
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy[0])
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
