"""What anyone may see: the list of warungs, a warung's menu (rendered once, shared), photos."""

from __future__ import annotations

from functools import cache

from flask import abort, make_response, render_template, request, send_from_directory
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape
from sqlalchemy import Integer, String, bindparam, cast, func, select
from sqlalchemy.orm import joinedload

from portal import shell
from portal.accounts.models import Role
from portal.database import fresh_reads, utcnow
from portal.extensions import db
from portal.food import bp
from portal.food import services as food
from portal.food.forms import WEEKDAYS
from portal.food.models import CartItem, Dish, Warung, WarungStatus
from portal.food.photos import upload_dir
from portal.forms import INT_MAX
from portal.htmx import render_body, wants_fragment
from portal.pagecache import PageCache, shell_key
from portal.promotions import services as promo

PER_PAGE = 20
YEAR = 60 * 60 * 24 * 365


def locale() -> str:
    return str(get_locale() or "id")


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -180 <= number <= 180 else None


# The list as most visitors see it is the same for everyone in a minute: kept and shared, for
# two minutes at most (its key names the minute; a search typed once is not kept for an hour).
WARUNG_PAGES = PageCache("warungs", timeout=120)


@bp.get("/warungs")
def warungs():
    """The list, open warungs first. Its cards cost more to render than its queries: a page is
    kept (portal.pagecache) under the language, layout and address (shell_key: the search, the
    page and the location are in the address), whether htmx asked for the results only, the
    minute (open now, "opens at"), and the stamps of every warung and of the showcase, read
    fresh on each visit: an owner's change or a new rating shows on the next visit."""
    q = (request.args.get("q") or "").strip()[:80]
    lat, lng = _float(request.args.get("lat")), _float(request.args.get("lng"))
    now = utcnow()
    page = min(max(request.args.get("page", 1, type=int), 1), INT_MAX // PER_PAGE)  # no OverflowError
    key = None
    if layout := shell_key():
        fresh_reads()  # the stamps must see every change committed so far (SQLite reads a snapshot)
        stamps = tuple(db.session.execute(select(*food.cards_stamp(), *promo.showcase_stamp())).one())
        key = ("warungs", stamps, now.replace(second=0, microsecond=0), wants_fragment(), layout)

    def render_page() -> str:
        # Each card's festival badge comes in the same query (a correlated subquery), not one per card.
        stmt = food.search_warungs(q, lat=lat, lng=lng, now=now).add_columns(promo.festival_of().label("festival_id"))
        rows = db.session.execute(stmt.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE), {"now": now}).all()
        cards = food.warung_cards(
            [(warung, open_now) for warung, open_now, _festival in rows[:PER_PAGE]], lat=lat, lng=lng
        )
        # The festival and collections on top: only on the first page of the whole list.
        show = promo.showcase(now, collections=page == 1 and not q)
        return render_body(
            "food/warungs.html",
            "results",
            results=[(card, show.badge(festival_id)) for card, (*_row, festival_id) in zip(cards, rows, strict=False)],
            q=q,
            lat=lat,
            lng=lng,
            page=page,
            has_next=len(rows) > PER_PAGE,
            show=show,
            locale=locale(),
        )

    response = make_response(WARUNG_PAGES.page(key, render_page).fill())
    response.vary.add("HX-Request")
    return response


# The menu's per-visitor elements, each named by its id: a dish's "in cart" and the cart bar.
MENU_PAGES = PageCache(
    "menu", slots=r'<span id="(cart-\d+)" class="in-cart"></span>|<p id="(cart-bar)" class="cart-bar"></p>'
)


def _cart_elements(quantities: dict[int, tuple[int, int]]) -> dict[str, str]:
    """The menu's elements for this visitor's cart: each dish's "2 in cart" and the cart bar.
    The phrase is translated once per page (gettext without values returns the format), not
    once per dish."""
    if not quantities:
        return {}
    phrase = _("%(n)s in cart")
    elements = {
        f"cart-{dish_id}": f'<span id="cart-{dish_id}" class="in-cart">{escape(phrase % {"n": quantity})}</span>'
        for dish_id, (quantity, _price) in quantities.items()
    }
    elements["cart-bar"] = render_template(
        "food/_cart_bar.html",
        cart_count=sum(q for q, _p in quantities.values()),
        cart_total=sum(q * p for q, p in quantities.values()),
    )
    return elements


@cache
def _menu_state():
    """Everything a visit to a menu needs when its page is cached, in ONE row: who may see the
    warung, its menu_version (bumped by every change to the warung, its hours or its dishes),
    whether it is open now, this visitor's cart there as "dish:quantity:price,…", and the
    festival whose badge it wears now (with that festival's last edit), and the layout's counts
    (portal.shell: the Cart tab's, the bell's). Built at the first visit, when every domain has
    registered its count."""
    line = cast(CartItem.dish_id, String) + ":" + cast(CartItem.quantity, String) + ":" + cast(Dish.price, String)
    lines = (
        select(func.aggregate_strings(line, ","))
        .join(Dish, Dish.id == CartItem.dish_id)
        .where(CartItem.warung_id == Warung.id, CartItem.user_id == bindparam("user_id", type_=Integer))
        .scalar_subquery()
    )
    return select(
        Warung.id,
        Warung.status,
        Warung.owner_id,
        Warung.menu_version,
        food.OPEN_NOW.label("open_now"),
        lines.label("cart"),
        promo.festival_of().label("festival_id"),  # the badge (a running festival it takes part in)
        promo.festival_stamp().label("festival_stamp"),  # that festival's last edit, for the page key
        *shell.columns(bindparam("user_id", type_=Integer)),
    ).where(Warung.slug == bindparam("slug"))


def _cart_lines(text: str | None) -> dict[int, tuple[int, int]]:
    """{dish id: (quantity, price)} from _menu_state()'s "dish:quantity:price,…"."""
    quantities = {}
    for line in (text or "").split(","):
        if line:
            dish_id, quantity, price = (int(part) for part in line.split(":"))
            quantities[dish_id] = (quantity, price)
    return quantities


@bp.get("/warungs/<slug>")
def warung(slug: str):
    """The menu: the busiest page. It is rendered once per version of the warung (its hours
    included) and its menu, language, day, open/closed and layout (portal.pagecache), and shared
    by every process (Redis in production). A visit to a cached menu is one query after the user
    (_menu_state(), which brings the layout's counts too); the
    view fills in the CSRF token, the cart quantities and the cart bar."""
    signed_in = current_user.is_authenticated
    now = utcnow()
    params = {"slug": slug, "user_id": current_user.id if signed_in else None, "now": now, **food.open_params(now)}
    # Loading the user began a read; on SQLite that read is a snapshot. End it, so the version
    # read next, and a page rendered for it, include every change committed until now.
    fresh_reads()
    state = db.session.execute(_menu_state(), params).first()
    if state is not None and signed_in:
        shell.remember(state)
    verified = state is not None and state.status == WarungStatus.VERIFIED
    if state is None or not (
        verified or (signed_in and (state.owner_id == current_user.id or current_user.has_role(Role.ADMIN)))
    ):
        abort(404)
    today, open_now = params["today"], bool(state.open_now)
    layout = shell_key() if verified else None  # an owner's preview is never shared
    festival = (state.festival_id, state.festival_stamp) if state.festival_id else None
    key = layout and ("menu", state.id, state.menu_version, today, open_now, festival, layout)
    quantities = _cart_lines(state.cart)

    def render_page() -> str:
        warung = db.session.get(Warung, state.id, options=[joinedload(Warung.periods)])
        lang = locale()  # part of the page's key (shell_key): each language has its own render
        return render_template(
            "food/warung.html",
            warung=warung,
            sections=food.menu_sections(food.menu(warung.id), lang),
            locale=lang,
            today=today,
            signed_in=signed_in,
            cart_count=0,
            cart_total=0,
            open_now=open_now,
            weekday_names=WEEKDAYS,
            festival=promo.festival_by_id(state.festival_id),
        )

    response = make_response(MENU_PAGES.page(key, render_page).fill(_cart_elements(quantities)))
    response.vary.add("HX-Request")
    return response


@bp.get("/media/food/<name>")
def photo(name: str):
    """Photos have random names and never change: cached for a year, never revalidated, and sent
    with as few header bytes as possible (a menu page loads a dozen of them on a phone)."""
    response = send_from_directory(upload_dir(), name, max_age=YEAR, etag=False, conditional=False)
    response.cache_control.public = True
    response.cache_control.immutable = True
    for header in ("Content-Disposition", "Expires", "Last-Modified", "Accept-Ranges"):
        response.headers.pop(header, None)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.record_once
def _bench_baseline(state) -> None:
    """`make bench` compares every route with this bare one; it exists only when BENCH is on."""
    if state.app.config.get("BENCH"):
        state.app.add_url_rule("/bench/baseline", "bench_baseline", lambda: "ok")
