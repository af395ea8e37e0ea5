from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, jsonify, request
from flask_babel import get_locale
from flask_login import current_user, login_required
from redis import Redis
from sqlalchemy import text

from portal import activity
from portal.database import utcnow
from portal.extensions import db
from portal.htmx import render
from portal.main import bp
from portal.main import figures as figures_page  # noqa: F401 - registers /figures
from portal.promotions import services as promo


@bp.get("/")
def index():
    """The four services; above them, for a signed-in user, what is on its way to them now."""
    moving = activity.on_its_way(current_user, now=utcnow()) if current_user.is_authenticated else []
    return render("main/index.html", moving=moving, show=promo.showcase(), locale=str(get_locale() or "id"))


@bp.get("/my/activity")
@login_required
def my_activity():
    before = request.args.get("before")
    try:
        cursor = datetime.fromisoformat(before) if before else None
    except ValueError:
        cursor = None
    if cursor is not None and cursor.tzinfo is None:
        cursor = cursor.replace(tzinfo=UTC)  # a hand-edited link: read it as UTC, never 500
    items, next_cursor = activity.page_for(current_user, before=cursor)
    return render("main/activity.html", "items", items=items, next_cursor=next_cursor)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. Touches neither PostgreSQL nor Redis, so the load
    balancer (deploy/haproxy.cfg) keeps a node while a shared service hiccups: taking every
    node out at once would turn a slow database into a dead site."""
    response = jsonify(status="ok", node=current_app.config["NODE_NAME"])
    response.cache_control.no_store = True
    return response


@bp.get("/readyz")
def readyz():
    """Readiness: PostgreSQL and (when configured) Redis answer; 503 with the reason otherwise.
    For deploys and monitoring: a node that is up but cannot reach its data."""
    checks: dict[str, str] = {}
    healthy = True
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unready; the reason is reported
        checks["database"] = f"error: {type(exc).__name__}"
        healthy = False
    finally:
        db.session.rollback()
    redis_url = current_app.config["REDIS_URL"]
    if redis_url:
        try:
            Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["queue"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["queue"] = f"error: {type(exc).__name__}"
            healthy = False
    else:
        checks["queue"] = "inline"
    response = jsonify(status="ok" if healthy else "unavailable", node=current_app.config["NODE_NAME"], **checks)
    response.status_code = 200 if healthy else 503
    response.cache_control.no_store = True
    return response
