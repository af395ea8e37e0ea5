"""A warung's profile, its hours, an admin's decisions on it, and finding warungs."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, and_, bindparam, case, exists, func, or_, select

from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Dish, OpeningPeriod, Warung, WarungStatus
from portal.food.photos import delete_photo
from portal.food.services.errors import FoodError
from portal.formatting import to_wib, today_wib
from portal.workflow import move


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "warung"


def _unique_slug(name: str, warung_id: int | None = None) -> str:
    base = slugify(name)
    slug, n = base, 1
    while db.session.scalar(select(Warung.id).where(Warung.slug == slug, Warung.id != (warung_id or 0))):
        n += 1
        slug = f"{base}-{n}"
    return slug


def warung_of(owner: User) -> Warung | None:
    return db.session.scalar(select(Warung).where(Warung.owner_id == owner.id))


def save_warung(
    owner: User,
    *,
    name: str,
    description: str,
    address: str,
    lat: float,
    lng: float,
    phone: str,
    photo: str | None = None,
    description_en: str = "",
) -> Warung:
    """Create the owner's warung (waiting for an admin) or update it. The description in either
    language may be left empty: the page shows the other one then."""
    warung = warung_of(owner)
    if warung is None:
        warung = Warung(owner_id=owner.id, status=WarungStatus.PENDING, slug=_unique_slug(name))
        db.session.add(warung)
    warung.name = name.strip()
    warung.description = (description or "").strip()
    warung.description_en = (description_en or "").strip()
    warung.address = address.strip()
    warung.lat, warung.lng = lat, lng
    warung.phone = phone
    if photo is not None:
        if warung.photo and warung.photo != photo:
            delete_photo(warung.photo)
        warung.photo = photo
    db.session.flush()
    return warung


Periods = dict[int, list[tuple[int, int]]]
_PERIOD = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_periods(text: str) -> list[tuple[int, int]]:
    """ "07:00-14:00, 17:00-02:00" -> [(420, 840), (1020, 120)]; a closing time not after the
    opening one crosses midnight. Raises FoodError on anything else."""
    periods = []
    for chunk in filter(None, (c.strip() for c in re.split(r"[,;]", text or ""))):
        match = _PERIOD.match(chunk)
        if not match:
            raise FoodError(_l('Write hours like "07:00-14:00, 17:00-23:00".'))
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise FoodError(_l("%(text)s is not a time of day.", text=chunk))
        opens, closes = h1 * 60 + m1, h2 * 60 + m2
        if opens == closes:
            raise FoodError(_l("%(text)s opens and closes at the same time.", text=chunk))
        periods.append((opens, closes % 1440 if closes == 1440 else closes))
    return sorted(periods)


def format_periods(periods: list[OpeningPeriod]) -> str:
    return ", ".join(p.text.replace("–", "-") for p in periods)


def set_hours(warung: Warung, periods: Periods) -> None:
    warung.periods.clear()
    db.session.flush()
    for weekday, spans in sorted(periods.items()):
        for opens, closes in spans:
            warung.periods.append(OpeningPeriod(weekday=weekday, opens=opens, closes=closes))
    db.session.flush()


def set_closed_today(warung: Warung, closed: bool, *, now: datetime | None = None) -> None:
    warung.closed_on = today_wib(now) if closed else None
    db.session.flush()


# ---------------------------------------------------------------------------------------------
# An admin's decisions: each one a move with its event (who, when, why)


def verify_warung(warung: Warung, *, by: User, now: datetime | None = None) -> None:
    """An admin lists the warung: it shows in the search and takes orders."""
    now = now or utcnow()
    move(warung, WarungStatus.VERIFIED, by=by, now=now)
    warung.reject_reason = ""
    warung.verified_at = now
    db.session.flush()


def reject_warung(warung: Warung, *, by: User, reason: str, now: datetime | None = None) -> None:
    """An admin does not approve (or delists) the warung; the owner sees the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise FoodError(_l("Say why, so the owner can fix it."))
    move(warung, WarungStatus.REJECTED, by=by, note=reason, now=now)
    warung.reject_reason = reason
    db.session.flush()


def close_warung(warung: Warung, *, by: User, reason: str, now: datetime | None = None) -> None:
    """The warung has shut for good: unlisted, and no later decision lists it again."""
    reason = (reason or "").strip()
    if not reason:
        raise FoodError(_l("Say why the warung is closed for good."))
    move(warung, WarungStatus.CLOSED, by=by, note=reason, now=now)


# ---------------------------------------------------------------------------------------------
# Finding warungs


def _open_clause(minute, weekday, yesterday, today):
    P = OpeningPeriod
    period_open = exists().where(
        P.warung_id == Warung.id,
        or_(
            and_(
                P.weekday == weekday,
                P.opens <= minute,
                or_(P.closes > minute, P.closes <= P.opens),
            ),
            and_(P.weekday == yesterday, P.closes <= P.opens, P.closes > minute),
        ),
    )
    return and_(or_(Warung.closed_on.is_(None), Warung.closed_on != today), period_open)


def open_params(now: datetime | None = None) -> dict:
    """The values OPEN_NOW is run with: the WIB minute, weekday, the day before, the date."""
    local = to_wib(now or utcnow())
    weekday = local.weekday()
    return {
        "minute": local.hour * 60 + local.minute,
        "weekday": weekday,
        "yesterday": (weekday - 1) % 7,
        "today": local.date(),
    }


def open_now_clause(now: datetime | None = None):
    """SQL twin of Warung.is_open, so the list can sort and page in the database."""
    return _open_clause(**open_params(now))


# The same, with its values left as parameters (open_params): for statements built once.
OPEN_NOW = _open_clause(
    bindparam("minute", type_=Integer),
    bindparam("weekday", type_=Integer),
    bindparam("yesterday", type_=Integer),
    bindparam("today", type_=Date),
)


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def search_warungs(q: str = "", *, lat: float | None = None, lng: float | None = None, now: datetime | None = None):
    """Verified warungs, open ones first, then nearest (when a location is given), then by name."""
    is_open = open_now_clause(now)
    stmt = select(Warung, is_open.label("open_now")).where(Warung.status == WarungStatus.VERIFIED)
    q = (q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Warung.name).like(like),
                func.lower(Warung.description).like(like),
                func.lower(Warung.description_en).like(like),
                exists().where(
                    Dish.warung_id == Warung.id,
                    or_(func.lower(Dish.name).like(like), func.lower(Dish.name_en).like(like)),
                ),
            )
        )
    order = [case((is_open, 0), else_=1)]
    if lat is not None and lng is not None:
        # Equirectangular: exact enough to sort within a regency, and plain SQL on both databases.
        k = math.cos(math.radians(lat))
        order.append((Warung.lat - lat) * (Warung.lat - lat) + (Warung.lng - lng) * k * (Warung.lng - lng) * k)
    order += [Warung.name, Warung.id]
    return stmt.order_by(*order)
