"""gunicorn settings for one web node: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Worker class `gthread`: each process serves `threads` requests at once, so a request waiting on
PostgreSQL, Redis or Stripe does not hold a whole process; the GIL makes threads no faster on
CPU-bound rendering, so processes (`workers`) give the parallelism: one or two per core.
A node on 2 cores: WEB_CONCURRENCY=2 workers x GUNICORN_THREADS=4 threads = 8 requests in flight.

Each process has its own SQLAlchemy pool (DB_POOL_SIZE, default 5, + DB_MAX_OVERFLOW, default 5,
portal/config.py). A page view that writes holds two of its connections (it read through the
autocommit one, portal.database.Session), so pool + overflow must be at least 2 x `threads`. PostgreSQL sees at most
    nodes x workers x (pool size + overflow) + RQ workers x 1 + the scheduler
connections: 2 nodes x 2 x 10 + 2 + 1 = 43 of its default max_connections = 100.
"""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Import the app once in the master, then fork: workers start in milliseconds and share memory.
preload_app = True
timeout = 30  # a request stuck longer than this is a bug: the worker is killed and replaced
graceful_timeout = 20  # on SIGTERM, requests in flight get this long to finish
# HAProxy keeps idle connections to the node and reuses them; it closes them itself within
# `timeout server` (30 s). Were the node to close one first (gunicorn's default 5 s), a request
# HAProxy sends on it as it closes gets an empty answer: a failed request on a healthy node.
keepalive = 75
max_requests = 5000  # recycle a worker now and then (a slow leak never becomes an outage)
max_requests_jitter = 500
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # "-" to log every request
forwarded_allow_ips = "127.0.0.1"


def post_fork(server, worker):
    """The master imported the app (preload_app): a forked worker must not share its database
    connections, so each worker's pools start empty."""
    from portal.extensions import db  # noqa: PLC0415 - gunicorn reads this file before it imports the app
    from wsgi import app  # noqa: PLC0415 - likewise

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
