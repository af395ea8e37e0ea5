"""Settings from the environment, read when a config object is made (not at import).

Only development and testing have defaults for secrets; production refuses to start without them.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def database_url(url: str) -> str:
    """postgres:// and postgresql:// both mean psycopg 3 here."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def data_keys(value: str | None) -> list[str]:
    """DATA_KEY may list several Fernet keys, separated by commas or spaces: the first encrypts,
    every one decrypts. To rotate, put a new key first, run `flask accounts rotate-data-key`,
    then drop the old one."""
    return [key for key in re.split(r"[\s,]+", value or "") if key]


@cache
def release() -> str:
    """A digest of everything a rendered page is made from (code, templates, static files,
    catalogues): the shared page cache's key prefix, so pages rendered by the last release are
    never served by this one, while every node of one release shares its renders."""
    digest = hashlib.sha256()
    for folder, pattern in ((ROOT / "portal", "*.py"), (ROOT / "portal", "*.mo"), (ROOT / "templates", "*")):
        for path in sorted(folder.rglob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def with_timeouts(redis_url: str, seconds: float) -> str:
    """A Redis URL whose connections give up after `seconds`: a cache that does not answer
    quickly is skipped (portal/pagecache.py), not waited for."""
    separator = "&" if "?" in redis_url else "?"
    return f"{redis_url}{separator}socket_timeout={seconds}&socket_connect_timeout={seconds}"


MIN_SECRET_KEY_BYTES = 32


def weak_secrets(secret_key: str | None, data_key: str | None) -> list[str]:
    """What is wrong with the secrets production was given (never the secrets themselves)."""
    problems = []
    if len((secret_key or "").encode()) < MIN_SECRET_KEY_BYTES:
        problems.append(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes of randomness, "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    keys = data_keys(data_key)
    if not keys:
        problems.append("DATA_KEY must hold at least one Fernet key")
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            problems.append(
                f"DATA_KEY key #{number} is not a Fernet key (32 url-safe base64-encoded bytes): "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
    return problems


class Config:
    ENV_NAME = "base"
    TESTING = False
    DEBUG = False

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: slow phones, long forms
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024

    RATELIMIT_HEADERS_ENABLED = True
    # Per address and account (many phones share one carrier-NAT address, so the address-only
    # limit is looser): guessing one account's password is slow, a crowd can still log in.
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    LOGIN_ADDRESS_RATE_LIMIT = "60 per minute"
    # Registration per address: 15 accounts in 2 s from one address were all accepted (60/min).
    REGISTER_RATE_LIMIT = "5 per minute;20 per hour;60 per day"
    # One-time codes (phone verification, password reset): sending costs an SMS, guessing is
    # what an attacker does. Per address here (Flask-Limiter); per phone in portal/accounts/codes.py.
    CODE_SEND_RATE_LIMIT = "5 per 15 minutes;20 per day"
    CODE_CHECK_RATE_LIMIT = "10 per 15 minutes;40 per day"
    PHONE_CODE_TTL_MINUTES = 10
    PHONE_CODE_MAX_FAILURES = 5  # wrong answers before a code dies
    PHONE_CODES_PER_PHONE = 3  # codes sent to one number per window …
    PHONE_CODES_PER_ADDRESS = 10  # … and to any number asked from one address
    PHONE_CODE_WINDOW_MINUTES = 60
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a KDF name, not a password
    JOBS_RAISE = False  # an inline job's failure is logged, never shown to the user who triggered it

    SEND_FILE_MAX_AGE_DEFAULT = 300
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    # Static files are sent as streams, compressed with zstd when the browser takes it (Chromium
    # does). They are fingerprinted and cached for a year, so each is compressed once per first
    # visit: level 19 (about 50 ms for htmx + Pico + our CSS) saves 5 KB of a phone's first menu
    # visit against the default 3. Pages never use zstd (COMPRESS_ALGORITHM): br 4 stays cheap.
    COMPRESS_ZSTD_LEVEL = 19
    COMPRESS_MIN_SIZE = 300
    COMPRESS_BR_WINDOW = 18  # 256 KB covers any page we send; the default 4 MB only costs memory

    SEED_DEMO = False

    def __init__(self) -> None:
        self.SECRET_KEY = env("SECRET_KEY")
        # Fernet key (urlsafe base64 of 32 bytes) for NIK and other personal data at rest.
        self.DATA_KEY = env("DATA_KEY")
        self.SQLALCHEMY_DATABASE_URI = database_url(env("DATABASE_URL", f"sqlite:///{INSTANCE / 'gancang.db'}"))
        # A server connection can die between requests (restart, idle timeout). No pre-ping (a
        # round trip on every checkout, so on every request): portal.database replaces a pooled
        # connection whose socket says the server hung up, which costs a system call.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False}
        if not self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            # Per process: a gunicorn worker serves GUNICORN_THREADS requests at once, so a pool
            # of threads + 1 never makes one wait (deploy/gunicorn.conf.py counts the total).
            self.SQLALCHEMY_ENGINE_OPTIONS["pool_size"] = int(env("DB_POOL_SIZE", "5"))
            self.SQLALCHEMY_ENGINE_OPTIONS["max_overflow"] = int(env("DB_MAX_OVERFLOW", "5"))
        self.REDIS_URL = env("REDIS_URL")
        # "inline" runs a job right after the commit that enqueued it; "rq" sends it to Redis.
        self.JOBS_MODE = env("JOBS_MODE", "rq" if self.REDIS_URL else "inline")
        self.JOBS_QUEUE = env("JOBS_QUEUE", "gancang")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Redis down or not answering within 0.5 s: each process counts the limits in its own
        # memory until Redis answers again (looked for with growing pauses); pages never wait.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_STORAGE_OPTIONS = (
            {"socket_timeout": 0.5, "socket_connect_timeout": 0.5} if self.REDIS_URL else {}
        )
        # The shared page cache (the menu, portal/pagecache.py): in this process by default;
        # production with REDIS_URL keeps it in Redis, so all web nodes share their renders.
        self.CACHE_TYPE = env("CACHE_TYPE", "SimpleCache")
        self.CACHE_DEFAULT_TIMEOUT = int(env("CACHE_DEFAULT_TIMEOUT", "3600"))
        self.CACHE_THRESHOLD = 500  # SimpleCache: pages kept per process
        self.CACHE_KEY_PREFIX = f"gancang:{release()}:"
        self.CACHE_REDIS_URL = with_timeouts(self.REDIS_URL, 0.5) if self.REDIS_URL else None
        # How many proxies (load balancer, ingress) sit in front of gunicorn and set
        # X-Forwarded-For: rate limits must count the user's address, not the balancer's.
        self.PROXY_HOPS = int(env("PROXY_HOPS", "0"))
        # Development: the port `make run` serves on (PORT), so links in messages open this app.
        self.PUBLIC_URL = env("PUBLIC_URL", f"http://127.0.0.1:{env('PORT', '5000')}")
        # Which node this process is (web0, worker1 …): /healthz and /readyz say it, so a test
        # through the load balancer can tell the nodes apart. Defaults to the host name.
        self.NODE_NAME = env("NODE_NAME", socket.gethostname())
        self.NOTIFY_BACKEND = env("NOTIFY_BACKEND", "log")
        # NOTIFY_BACKEND=sms-http: the SMS gateway (Zenziva's shape, portal/notify.py).
        self.SMS_URL = env("SMS_URL")
        self.SMS_USERKEY = env("SMS_USERKEY")
        self.SMS_PASSKEY = env("SMS_PASSKEY")
        self.SMS_TIMEOUT = float(env("SMS_TIMEOUT", "5"))
        self.SMS_RETRY_ATTEMPTS = int(env("SMS_RETRY_ATTEMPTS", "5"))
        self.SMS_RETRY_BACKOFF = int(env("SMS_RETRY_BACKOFF", "30"))
        # `make bench` only: adds the bare /bench/baseline route the benchmark compares against.
        self.BENCH = env("BENCH") == "1"
        # Where dish and warung photos are stored (default: instance/uploads).
        self.UPLOAD_DIR = env("UPLOAD_DIR")
        # Content-Security-Policy sources beyond 'self' (portal/security.py). Domains append
        # here (payments adds the Stripe.js origin); inline script is never allowed.
        self.CSP_SCRIPT_SRC: list[str] = []
        self.CSP_FRAME_SRC: list[str] = []
        self.CSP_CONNECT_SRC: list[str] = []
        self.CSP_IMG_SRC: list[str] = []  # the map tile server's origin is added from MAP_TILE_URL
        # Couriers: providers tried in this order (the local fleet is always the last resort).
        self.COURIER_PROVIDERS = [p.strip() for p in env("COURIER_PROVIDERS", "local").split(",") if p.strip()]
        self.COURIER_BASE_FARE = int(env("COURIER_BASE_FARE", "8000"))  # rupiah
        self.COURIER_PER_KM = int(env("COURIER_PER_KM", "2500"))  # rupiah per km, as the crow flies
        self.COURIER_MIN_FARE = int(env("COURIER_MIN_FARE", "10000"))
        self.COURIER_QUOTE_TTL = int(env("COURIER_QUOTE_TTL", "900"))  # seconds a quote holds
        self.COURIER_NO_DRIVER_AFTER = int(env("COURIER_NO_DRIVER_AFTER", "900"))  # seconds without a taker
        self.COURIER_RETRY_ATTEMPTS = int(env("COURIER_RETRY_ATTEMPTS", "3"))  # per provider, then fall back
        self.COURIER_RETRY_BACKOFF = int(env("COURIER_RETRY_BACKOFF", "20"))  # seconds, doubled each try
        self.COURIER_PHOTO_DIR = env("COURIER_PHOTO_DIR", str(INSTANCE / "uploads" / "drivers"))
        self.GOSEND_BASE_URL = env("GOSEND_BASE_URL", "https://integration-kilat-api.gojekapi.com")
        self.GOSEND_CLIENT_ID = env("GOSEND_CLIENT_ID")
        self.GOSEND_PASS_KEY = env("GOSEND_PASS_KEY")
        self.GOSEND_CALLBACK_TOKEN = env("GOSEND_CALLBACK_TOKEN")
        self.GOSEND_TIMEOUT = float(env("GOSEND_TIMEOUT", "5"))
        self.COURIER_STUCK_AFTER = int(env("COURIER_STUCK_AFTER", "120"))  # seconds a lost dispatch waits for the sweep
        # The courier on the customer's map: the ETA is the straight-line (haversine) distance still
        # to go at this speed; a motorbike in Banyuwangi town traffic averages about 25 km/h.
        self.COURIER_MAP_SPEED_KMH = float(env("COURIER_MAP_SPEED_KMH", "25"))
        self.COURIER_POSITION_INTERVAL = int(env("COURIER_POSITION_INTERVAL", "15"))  # seconds between a phone's sends
        self.COURIER_POSITION_RATE_LIMIT = env("COURIER_POSITION_RATE_LIMIT", "8 per minute")  # per job; phones send 4
        self.COURIER_POSITION_KEEP_DAYS = int(env("COURIER_POSITION_KEEP_DAYS", "30"))  # after the job ends
        self.PAYMENTS_RECONCILE_DAYS = int(env("PAYMENTS_RECONCILE_DAYS", "7"))
        self.PAYMENTS_WEBHOOK_MAX_ATTEMPTS = int(env("PAYMENTS_WEBHOOK_MAX_ATTEMPTS", "20"))
        # Payments (portal/payments): the Stripe HTTP API. Development and tests talk to a local
        # fake Stripe server (localstripe, started by `make run` and by the test fixture).
        self.STRIPE_API_BASE = env("STRIPE_API_BASE", "http://127.0.0.1:8420")
        self.STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "sk_test_localstripe")
        self.STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe")
        self.STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "whsec_localstripe")
        self.STRIPE_JS_URL = env("STRIPE_JS_URL", f"{self.STRIPE_API_BASE}/js.stripe.com/v3/")
        self.STRIPE_TIMEOUT = float(env("STRIPE_TIMEOUT", "10"))
        self.STRIPE_WEBHOOK_TOLERANCE = 300  # seconds a signed webhook stays acceptable
        # Ijen rides: bookings for a night close at this WIB time that evening; unpaid holds and
        # waitlist offers last this many minutes; nights bookable this many days ahead.
        self.RIDES_BOOKING_CUTOFF = env("RIDES_BOOKING_CUTOFF", "20:00")
        self.RIDES_HOLD_MINUTES = int(env("RIDES_HOLD_MINUTES", "10"))
        self.RIDES_OFFER_MINUTES = int(env("RIDES_OFFER_MINUTES", "30"))
        self.RIDES_MAX_DAYS_AHEAD = int(env("RIDES_MAX_DAYS_AHEAD", "90"))
        # Documents: the MPP's days off (ISO dates, comma separated; 2026's national holidays
        # otherwise), its closing time (WIB), and new requests per account per day.
        self.DOCUMENTS_HOLIDAYS = env("DOCUMENTS_HOLIDAYS")
        self.DOCUMENTS_MPP_CLOSES = env("DOCUMENTS_MPP_CLOSES", "15:30")
        self.DOCUMENTS_DAILY_LIMIT = int(env("DOCUMENTS_DAILY_LIMIT", "5"))
        # Maps (portal/maps, static/js/map.js): the tile server and the words its licence asks for
        # (OpenStreetMap's in development: its tile policy wants the attribution shown), where a
        # map opens, and the geocoder the address search asks (a Nominatim-shaped API, server side).
        self.MAP_TILE_URL = env("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
        self.MAP_ATTRIBUTION = env(
            "MAP_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
        )
        self.MAP_CENTER = (float(env("MAP_CENTER_LAT", "-8.2192")), float(env("MAP_CENTER_LNG", "114.3691")))
        self.GEOCODER_URL = env("GEOCODER_URL", "https://nominatim.openstreetmap.org")
        # Nominatim's usage policy: an identifying User-Agent, at most one request a second, cache.
        self.GEOCODER_USER_AGENT = env(
            "GEOCODER_USER_AGENT", "Gancang/1.0 (Kabupaten Banyuwangi food and courier portal)"
        )
        self.GEOCODER_TIMEOUT = float(env("GEOCODER_TIMEOUT", "5"))
        self.GEOCODER_CACHE_SECONDS = int(env("GEOCODER_CACHE_SECONDS", str(24 * 3600)))
        self.GEOCODER_RATE_LIMIT = env("GEOCODER_RATE_LIMIT", "20 per minute;200 per day")
        # A food drop-off farther than this (as the crow flies) from the warung is refused.
        self.DELIVERY_RADIUS_KM = float(env("DELIVERY_RADIUS_KM", "15"))
        # Vouchers: an unpaid card order holding a voucher's budget is cancelled after this many
        # minutes (`flask promotions sweep-vouchers`), so the budget goes to someone who pays.
        self.VOUCHER_HOLD_MINUTES = int(env("VOUCHER_HOLD_MINUTES", "30"))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SEED_DEMO = True

    def __init__(self) -> None:
        super().__init__()
        # Every message on the console, one-time codes included: register on `make run`.
        self.NOTIFY_BACKEND = env("NOTIFY_BACKEND", "console")
        self.SECRET_KEY = self.SECRET_KEY or "dev-only-not-secret"
        self.DATA_KEY = self.DATA_KEY or "ZGV2LW9ubHktZGF0YS1rZXktbm90LXNlY3JldC0hISE="


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    JOBS_RAISE = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast tests; production keeps scrypt

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing"  # noqa: S105 - the test config
        self.DATA_KEY = "dGVzdGluZy1kYXRhLWtleS1ub3Qtc2VjcmV0LTEyMzQ="
        self.SQLALCHEMY_DATABASE_URI = database_url(env("TEST_DATABASE_URL", "sqlite://"))
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Counters of this run only: another test run on the same Redis resets its own, not ours.
        self.RATELIMIT_STORAGE_OPTIONS = {**self.RATELIMIT_STORAGE_OPTIONS, "key_prefix": f"LIMITS-test-{os.getpid()}"}
        self.CACHE_KEY_PREFIX = f"gancang-test-{os.getpid()}:"
        # So is the job queue: test runs, and the xdist workers of one run, share REDIS_URL.
        self.JOBS_QUEUE = env("JOBS_QUEUE", f"gancang-test-{os.getpid()}")
        self.PUBLIC_URL = "http://localhost"
        self.NOTIFY_BACKEND = "memory"
        # Never the internet: the tests' fake geocoder and tile server (tests/maps_server.py) set
        # these; an app made without them finds nothing listening here.
        self.GEOCODER_URL = "http://127.0.0.1:9"
        self.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SEND_FILE_MAX_AGE_DEFAULT = 3600

    def __init__(self) -> None:
        super().__init__()
        # PUBLIC_URL: links in SMS must not point at localhost. REDIS_URL: several processes
        # need one rate-limit store and one job queue.
        # DATABASE_URL: without it the data would go to a SQLite file inside the container.
        required = ("SECRET_KEY", "DATA_KEY", "DATABASE_URL", "PUBLIC_URL", "REDIS_URL")
        missing = [name for name in required if not env(name)]
        if missing:
            raise RuntimeError(f"production needs these environment variables: {', '.join(missing)}")
        weak = weak_secrets(self.SECRET_KEY, self.DATA_KEY)
        if weak:
            raise RuntimeError("production refuses weak secrets: " + "; ".join(weak))
        if self.NOTIFY_BACKEND in ("console", "memory"):  # they print or keep one-time codes
            raise RuntimeError(f"NOTIFY_BACKEND={self.NOTIFY_BACKEND} is for development only")
        if not env("CACHE_TYPE"):
            self.CACHE_TYPE = "RedisCache"  # REDIS_URL is required above
        # Real Stripe; the keys have no defaults (portal/payments refuses to start without them).
        self.STRIPE_API_BASE = env("STRIPE_API_BASE", "https://api.stripe.com")
        self.STRIPE_JS_URL = env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
        self.STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
        self.STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
        self.STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(name: str | None = None) -> Config:
    name = name or env("GANCANG_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"GANCANG_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
