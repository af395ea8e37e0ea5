from __future__ import annotations

import re
import secrets
from decimal import Decimal
from functools import cache

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import escape
from sqlalchemy import Integer, String, bindparam, cast, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.identity import plain_session_token, signed_in_as
from portal.accounts.models import Role
from portal.actions import act
from portal.database import HotConnection, HotStatement, fresh_reads, string_agg, write_lock_late, write_transaction
from portal.extensions import db
from portal.food import bp
from portal.food import services as food
from portal.food.forms import (
    WEEKDAYS,
    AddToCartForm,
    AdminRejectForm,
    CartQuantityForm,
    CheckoutForm,
    DishForm,
    RatingForm,
    RejectForm,
    WarungForm,
)
from portal.food.models import Dish, FoodOrder, OrderStatus, Warung, WarungStatus
from portal.food.photos import PhotoError, save_photo, upload_dir
from portal.htmx import not_modified, render, render_fragment, render_html, with_etag
from portal.i18n import LANG_COOKIE, babel_locale, choose_locale
from portal.pagecache import PageCache, shell_key

PER_PAGE = 20
YEAR = 60 * 60 * 24 * 365
UPLOADS = {"food.my_warung", "food.dishes", "food.edit_dish"}
UPLOAD_LIMIT = 40 * 1024 * 1024


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, values) -> None:
    """Let a too-large photo reach the form (which says so and keeps what was typed) instead of
    an anonymous 413 page. Runs before CSRF reads the body."""
    if endpoint in UPLOADS and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


def locale() -> str:
    return str(get_locale() or "id")


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -180 <= number <= 180 else None


# ---------------------------------------------------------------------------------------------
# Public: list, menu, photos


@bp.get("/warungs")
def warungs():
    q = (request.args.get("q") or "").strip()[:80]
    lat, lng = _float(request.args.get("lat")), _float(request.args.get("lng"))
    stmt = food.search_warungs(q, lat=lat, lng=lng)
    page = request.args.get("page", 1, type=int)
    rows = db.session.execute(stmt.limit(PER_PAGE + 1).offset((max(page, 1) - 1) * PER_PAGE)).all()
    has_next = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    results = [
        (
            warung,
            open_now,
            food.distance_km(lat, lng, warung.lat, warung.lng) if lat is not None and lng is not None else None,
        )
        for warung, open_now in rows
    ]
    return render(
        "food/warungs.html", "results", results=results, q=q, lat=lat, lng=lng, page=max(page, 1), has_next=has_next
    )


# The menu's per-visitor elements, each named by its id: a dish's "in cart" and the cart bar.
MENU_PAGES = PageCache(slots=r'<span id="(cart-\d+)" class="in-cart"></span>|<p id="(cart-bar)" class="cart-bar"></p>')


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
    elements["cart-bar"] = render_html(
        "food/_cart_bar.html",
        cart_count=sum(q for q, _p in quantities.values()),
        cart_total=sum(q * p for q, p in quantities.values()),
    )
    return elements


@cache
def _menu_state():
    """Everything a visit to a menu needs when its page is cached, in ONE row (built once per
    process): who may see the warung, its menu_version (bumped by every change to the warung,
    its hours or its dishes), whether it is open now, and this visitor's cart there as
    "dish:quantity:price,…"."""
    cart = food.CartItem
    line = cast(cart.dish_id, String) + ":" + cast(cart.quantity, String) + ":" + cast(Dish.price, String)
    lines = (
        select(string_agg(line, literal(",")))
        .join(Dish, Dish.id == cart.dish_id)
        .where(cart.warung_id == Warung.id, cart.user_id == bindparam("user_id", type_=Integer))
        .scalar_subquery()
    )
    return select(
        Warung.id,
        Warung.status,
        Warung.owner_id,
        Warung.menu_version,
        food.OPEN_NOW.label("open_now"),
        lines.label("cart"),
    ).where(Warung.slug == bindparam("slug"))


_MENU_STATE = HotStatement(_menu_state)


def _cart_lines(text: str | None) -> dict[int, tuple[int, int]]:
    """{dish id: (quantity, price)} from _menu_state's "dish:quantity:price,…"."""
    quantities = {}
    for line in (text or "").split(","):
        if line:
            dish_id, quantity, price = (int(part) for part in line.split(":"))
            quantities[dish_id] = (quantity, price)
    return quantities


@bp.get("/warungs/<slug>")
def warung(slug: str):
    """The menu: the busiest page. It is rendered once per version of the warung (its hours
    included) and its menu, language, day, open/closed and layout (portal.pagecache), and kept
    in this process. A visit to a cached menu is one query after the user (_menu_state); the
    view fills in the CSRF token, the cart quantities and the cart bar."""
    signed_in = current_user.is_authenticated
    params = {"slug": slug, "user_id": current_user.id if signed_in else None, **food.open_params()}
    state = _MENU_STATE.first(**params)
    verified = state is not None and state["status"] == WarungStatus.VERIFIED
    if state is None or not (
        verified or (signed_in and (state["owner_id"] == current_user.id or current_user.has_role(Role.ADMIN)))
    ):
        abort(404)
    today, open_now = params["today"], bool(state["open_now"])
    shell = shell_key() if verified else None  # an owner's preview is never shared
    key = shell and ("menu", state["id"], state["menu_version"], today, open_now, shell)
    quantities = _cart_lines(state["cart"])

    def render_page() -> str:
        # The key came from a read of the latest commits (HotStatement); the page must not come from
        # the older snapshot the session took when it loaded the user.
        fresh_reads()
        warung = db.session.get(Warung, state["id"], options=[joinedload(Warung.periods)])
        categories: dict[str, list] = {}
        for dish in food.menu(warung.id):
            categories.setdefault(dish.category or "", []).append(dish)
        return render_template(
            "food/warung.html",
            warung=warung,
            categories=categories,
            locale=locale(),
            today=today,
            signed_in=signed_in,
            cart_count=0,
            cart_total=0,
            open_now=open_now,
            weekday_names=WEEKDAYS,
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


# ---------------------------------------------------------------------------------------------
# Owner: profile, hours, closed today


def _my_warung_or_redirect():
    warung = food.warung_of(current_user)
    if warung is None:
        flash(_("First tell us about your warung."), "info")
    return warung


def _photo_from(form) -> tuple[str | None, bool]:
    """(key, ok): stores an uploaded photo; on a bad file the field gets the error."""
    upload = form.photo.data
    if not upload or not getattr(upload, "filename", ""):
        return None, True
    try:
        return save_photo(upload.stream), True
    except PhotoError as error:
        form.photo.errors = [*form.photo.errors, str(error)]
        return None, False


@bp.route("/my/warung", methods=["GET", "POST"])
@role_required(Role.OWNER)
def my_warung():
    warung = food.warung_of(current_user)
    form = WarungForm(obj=warung)
    if request.method == "GET" and warung is not None:
        form.latitude.data, form.longitude.data = Decimal(str(warung.lat)), Decimal(str(warung.lng))
        for day, hours in enumerate(form.hours_fields()):
            hours.data = food.format_periods(warung.periods_on(day))
    if form.validate_on_submit():
        key, ok = _photo_from(form)
        if ok:
            with act(success=_("Your warung is saved.")) as outcome:
                warung = food.save_warung(
                    current_user,
                    name=form.name.data,
                    description=form.description.data,
                    address=form.address.data,
                    lat=float(form.latitude.data),
                    lng=float(form.longitude.data),
                    phone=form.phone.e164,
                    photo=key,
                )
                food.set_hours(warung, form.periods)
            if outcome.ok:
                return redirect(url_for("food.my_warung"))
    failed = request.method == "POST"
    if failed:
        flash(_("Please check the highlighted fields."), "error")
    stats = food.today_total(warung) if warung else (0, 0)
    return render(
        "food/my_warung.html", form=form, warung=warung, closed=EmptyForm(), stats=stats, status=422 if failed else 200
    )


@bp.post("/my/warung/closed-today")
@role_required(Role.OWNER)
def closed_today():
    warung = food.warung_of(current_user)
    ensure(warung is not None)
    if EmptyForm().validate_on_submit():
        closing = request.form.get("closed") == "1"
        done = _("Closed for today. Tomorrow you open as usual.") if closing else _("You are open again today.")
        with act(success=done):
            food.set_closed_today(warung, closing)
    return redirect(url_for("food.my_warung"))


# ---------------------------------------------------------------------------------------------
# Owner: menu


def _my_dish(dish_id: int) -> Dish:
    dish = db.session.get(Dish, dish_id)
    ensure(dish is not None and dish.warung.owner_id == current_user.id)
    return dish


def _dish_values(form: DishForm) -> dict:
    return {
        "name": form.name.data.strip(),
        "name_en": (form.name_en.data or "").strip(),
        "description": (form.description.data or "").strip(),
        "description_en": (form.description_en.data or "").strip(),
        "price": form.price.data,
        "category": (form.category.data or "").strip(),
    }


@bp.route("/my/warung/dishes", methods=["GET", "POST"])
@role_required(Role.OWNER)
def dishes():
    warung = _my_warung_or_redirect()
    if warung is None:
        return redirect(url_for("food.my_warung"))
    form = DishForm()
    if form.validate_on_submit():
        key, ok = _photo_from(form)
        if ok:
            values = _dish_values(form)
            with act(success=_("%(dish)s is on the menu.", dish=values["name"]), flash_error=False) as outcome:
                food.add_dish(warung, photo=key, **values)
            if outcome.ok:
                return redirect(url_for("food.dishes"))
            form.price.errors = [outcome.error]
    failed = request.method == "POST"
    if failed:
        flash(_("The dish is not saved yet: please check the highlighted fields."), "error")
    return render(
        "food/dishes.html",
        warung=warung,
        dishes=warung.dishes,
        form=form,
        button=EmptyForm(),
        status=422 if failed else 200,
    )


@bp.route("/my/warung/dishes/<int:dish_id>", methods=["GET", "POST"])
@role_required(Role.OWNER)
def edit_dish(dish_id: int):
    dish = _my_dish(dish_id)
    form = DishForm(obj=dish)
    if form.validate_on_submit():
        key, ok = _photo_from(form)
        if ok:
            values = _dish_values(form)
            with act(success=_("%(dish)s is saved.", dish=values["name"]), flash_error=False) as outcome:
                food.update_dish(dish, photo=key, **values)
            if outcome.ok:
                return redirect(url_for("food.dishes"))
            form.price.errors = [outcome.error]
    failed = request.method == "POST"
    if failed:
        db.session.rollback()
        flash(_("The dish is not saved yet: please check the highlighted fields."), "error")
    return render("food/edit_dish.html", dish=dish, form=form, button=EmptyForm(), status=422 if failed else 200)


@bp.post("/my/warung/dishes/<int:dish_id>/delete")
@role_required(Role.OWNER)
def delete_dish(dish_id: int):
    dish = _my_dish(dish_id)
    if EmptyForm().validate_on_submit():
        with act(success=_("%(dish)s is removed from the menu.", dish=dish.name)):
            food.delete_dish(dish)
    return redirect(url_for("food.dishes"))


@bp.post("/my/warung/dishes/<int:dish_id>/move")
@role_required(Role.OWNER)
def move_dish(dish_id: int):
    dish = _my_dish(dish_id)
    if EmptyForm().validate_on_submit():
        with act():
            food.move_dish(dish, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for("food.dishes") + f"#dish-{dish.id}")


@bp.post("/my/warung/dishes/<int:dish_id>/sold-out")
@role_required(Role.OWNER)
def sold_out(dish_id: int):
    """One tap: sold out today <-> available. htmx gets the row back; without JS, the page."""
    dish = _my_dish(dish_id)
    if EmptyForm().validate_on_submit():
        with act():
            food.set_sold_out(dish, request.form.get("sold_out") == "1")
    if request.headers.get("HX-Request"):
        return render("food/dishes.html", "dish_row", dish=dish, button=EmptyForm())
    return redirect(url_for("food.dishes") + f"#dish-{dish.id}")


# ---------------------------------------------------------------------------------------------
# Owner: incoming orders


@bp.get("/my/warung/orders")
@role_required(Role.OWNER)
def owner_orders():
    warung = _my_warung_or_redirect()
    if warung is None:
        return redirect(url_for("food.my_warung"))
    version = f"{food.board_etag(warung)}-{locale()}"
    etag = f"{version}-{bool(request.headers.get('HX-Request'))}"
    if request.headers.get("HX-Request") and (cached := not_modified(etag)):
        return cached
    orders = food.owner_orders(warung)
    count, total = food.today_total(warung)
    response = render(
        "food/owner_orders.html",
        "board",
        warung=warung,
        orders=orders,
        today_count=count,
        today_total=total,
        newest=food.newest_placed_id(orders),
        button=EmptyForm(),
        reject=RejectForm(),
        poll_etag=f"{version}-True",
    )
    return with_etag(response, etag) if request.headers.get("HX-Request") else response


def _my_incoming(order_id: int) -> FoodOrder:
    order = db.session.get(FoodOrder, order_id)
    ensure(order is not None and order.warung.owner_id == current_user.id)
    return order


def _owner_move(order_id: int, verb, message: str, **kwargs):
    order = _my_incoming(order_id)
    if EmptyForm().validate_on_submit():
        with act(success=message % {"n": order.id}):
            verb(order, by=current_user, **kwargs)
    return redirect(url_for("food.owner_orders") + f"#order-{order.id}")


@bp.post("/my/warung/orders/<int:order_id>/accept")
@role_required(Role.OWNER)
def accept(order_id: int):
    return _owner_move(order_id, food.accept_order, _("Order %(n)s accepted. Start cooking!"))


@bp.post("/my/warung/orders/<int:order_id>/ready")
@role_required(Role.OWNER)
def ready(order_id: int):
    return _owner_move(order_id, food.mark_ready, _("Order %(n)s is ready: a courier is on the way."))


@bp.post("/my/warung/orders/<int:order_id>/reject")
@role_required(Role.OWNER)
def reject(order_id: int):
    order = _my_incoming(order_id)
    form = RejectForm()
    if form.validate_on_submit():
        if order.payment_method == "card":
            done = _("Order %(n)s rejected; the customer is told and refunded.", n=order.id)
        else:  # cash: nothing was paid, so nothing is refunded
            done = _("Order %(n)s rejected; the customer is told.", n=order.id)
        with act(success=done):
            food.reject_order(order, by=current_user, reason=form.reason.data)
    else:
        flash(_("Tell the customer why you reject order %(n)s.", n=order.id), "error")
    return redirect(url_for("food.owner_orders") + f"#order-{order.id}")


# ---------------------------------------------------------------------------------------------
# Admin: verification


@bp.get("/admin/warungs")
@role_required(Role.ADMIN)
def admin_warungs():
    status = request.args.get("status", WarungStatus.PENDING)
    if status not in WarungStatus._value2member_map_:
        status = WarungStatus.PENDING
    stmt = (
        select(Warung)
        .where(Warung.status == status)
        .options(selectinload(Warung.owner))
        .order_by(Warung.created_at, Warung.id)
    )
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render("food/admin_warungs.html", page=page, selected=status, button=EmptyForm(), reject=AdminRejectForm())


@bp.post("/admin/warungs/<int:warung_id>/verify")
@role_required(Role.ADMIN)
def admin_verify(warung_id: int):
    warung = db.get_or_404(Warung, warung_id)
    if EmptyForm().validate_on_submit():
        with act(success=_("%(warung)s is verified and listed.", warung=warung.name)):
            food.verify_warung(warung, by=current_user)
    return redirect(url_for("food.admin_warungs"))


@bp.post("/admin/warungs/<int:warung_id>/reject")
@role_required(Role.ADMIN)
def admin_reject(warung_id: int):
    warung = db.get_or_404(Warung, warung_id)
    form = AdminRejectForm()
    if form.validate_on_submit():
        with act(success=_("%(warung)s is not approved; the owner sees why.", warung=warung.name)):
            food.reject_warung(warung, by=current_user, reason=form.reason.data)
    else:
        flash(_("Say why, so the owner can fix it."), "error")
    return redirect(url_for("food.admin_warungs"))


# ---------------------------------------------------------------------------------------------
# Customer: cart


def _back_to(dish: Dish | None):
    target = request.form.get("next") or (
        url_for("food.warung", slug=dish.warung.slug) if dish else url_for("food.cart")
    )
    from portal.accounts.routes import safe_next

    return redirect(safe_next(target))


@bp.post("/cart/items")
@write_lock_late
def add_to_cart():
    """ "+ Add" on the menu. htmx gets a small fragment: this dish's count and the cart bar.

    The busiest write on the site, so its common case (htmx, signed in, two plain numbers, the
    dish accepted) has a short path: three statements (who the session signs in, the upsert,
    the cart bar), no `User` built, no form object, no ORM transaction. Everything else, and
    every refusal, takes the full path below, which says why.
    """
    if request.headers.get("HX-Request"):
        quick = _quick_add()
        if quick is not None:
            return quick
    return _add_to_cart()


_DIGITS = re.compile(r"[0-9]{1,9}")  # plain ASCII digits; anything else is the form's to judge


def _quick_add():
    """The add as the full path would make it, or None to take the full path. A refusal (sold
    out, the line full) changed nothing here and is made again there, to find and say why."""
    dish_id, quantity = request.form.get("dish_id", ""), request.form.get("quantity") or "1"
    if not _DIGITS.fullmatch(dish_id) or not _DIGITS.fullmatch(quantity):
        return None
    dish_id, quantity = int(dish_id), int(quantity)
    token = plain_session_token()
    if token is None or not 1 <= quantity <= food.MAX_QUANTITY:
        return None
    with HotConnection() as hot:  # one connection for the three statements
        who = signed_in_as(hot, token)
        added = food.add_to_cart_quick(hot, who.id, dish_id, quantity) if who else None
    if added is None:
        return None
    with force_locale(babel_locale(choose_locale(who.locale))):
        return render_fragment(
            "food/_added.html",
            dish_id=dish_id,
            quantity=added.quantity,
            error=None,
            cart_count=added.cart_count,
            cart_total=added.cart_total,
        )


@login_required
def _add_to_cart():
    """Every add the short path does not answer: no JS, a form it does not read, a refusal."""
    form = AddToCartForm()
    dish_id = form.dish_id.data if isinstance(form.dish_id.data, int) else None
    lang = locale()  # resolved now: the user stays loaded, but say it before any rollback
    error, added = None, None
    if form.validate_on_submit():
        try:
            with write_transaction():
                added = food.add_to_cart(current_user, dish_id, form.quantity.data or 1)
                # The cart bar, read in the same short transaction: one BEGIN/COMMIT fewer.
                summary = food.cart_summary(current_user, added.warung_id)
        except food.FoodError as exc:
            error = str(exc)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors) or _("Something is missing.")
    dish = None
    if added is None or not request.headers.get("HX-Request"):
        dish = db.session.get(Dish, dish_id, options=[joinedload(Dish.warung)]) if dish_id else None
    if request.headers.get("HX-Request") and (added is not None or dish is not None):
        warung_id = added.warung_id if added else dish.warung_id
        if added:
            quantity = added.quantity
        else:
            quantity = db.session.scalar(
                select(food.CartItem.quantity).where(
                    food.CartItem.user_id == current_user.id, food.CartItem.dish_id == dish_id
                )
            )
        count, total = summary if added else food.cart_summary(current_user, warung_id)
        return render(
            "food/_added.html",
            dish_id=dish_id,
            quantity=quantity or 0,
            error=error,
            cart_count=count,
            cart_total=total,
            status=422 if error else 200,
        )
    if error:
        flash(error, "error")
    elif dish is not None:
        flash(_("%(dish)s is in your cart.", dish=dish.display_name(lang)), "success")
    return _back_to(dish)


@bp.post("/cart/items/<int:dish_id>")
@login_required
def cart_quantity(dish_id: int):
    form = CartQuantityForm()
    if request.form.get("remove"):
        form.quantity.data = 0
        form.quantity.raw_data = ["0"]
    error = None
    if form.validate_on_submit() or (request.form.get("remove") and EmptyForm().validate_on_submit()):
        with act(flash_error=False) as outcome:
            food.set_cart_quantity(current_user, dish_id, form.quantity.data)
        error = outcome.error
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.headers.get("HX-Request"):  # the cart redrawn, saying why above it
        return _cart_page(error=error, status=422 if error else 200)
    if error:
        flash(error, "error")
    return redirect(url_for("food.cart"))


def _checkout_form(warung: Warung, checkout=None, **values) -> CheckoutForm:
    form = CheckoutForm(formdata=None, warung_id=str(warung.id), token=secrets.token_urlsafe(24), **values)
    if checkout is not None:
        form.expected_total.data = str(checkout.total)
    return form


def _cart_page(forms: dict | None = None, reviews: dict | None = None, status: int = 200, error: str | None = None):
    groups = []
    for warung, lines in food.carts(current_user).items():
        checkout = (reviews or {}).get(warung.id)
        form = (forms or {}).get(warung.id) or _checkout_form(warung, checkout, **_place_defaults())
        groups.append((warung, lines, form.scope_ids(f"w{warung.id}-"), checkout))
    return render(
        "food/cart.html",
        "carts",
        groups=groups,
        locale=locale(),
        places=_places(),
        status=status,
        button=EmptyForm(),
        error=error,
    )


def _places():
    """One-tap addresses at checkout: the demo homestays, outside production only."""
    if current_app.config["ENV_NAME"] == "production":
        return []
    from portal.food.demo import HOMESTAYS

    return HOMESTAYS


def _place_defaults() -> dict:
    index = request.args.get("place", type=int)
    places = _places()
    if index is not None and 0 <= index < len(places):
        place = places[index]
        return {
            "address": place["address"],
            "latitude": Decimal(str(place["lat"])),
            "longitude": Decimal(str(place["lng"])),
        }
    return {}


@bp.get("/cart")
@login_required
def cart():
    return _cart_page()


@bp.post("/checkout")
@login_required
def checkout():
    """Two steps on one URL: first the server prices the cart with a fresh courier quote and shows
    the total; placing the order sends that total back, and it must still be right."""
    form = CheckoutForm()
    warung_id = int(form.warung_id.data) if str(form.warung_id.data or "").isdigit() else None
    if warung_id is None:
        flash(_("Choose a cart."), "error")
        return redirect(url_for("food.cart"))
    if not form.validate_on_submit():
        return _cart_page(forms={warung_id: form}, status=422)
    key = form.token.data or ""
    done = food.order_for_key(key) if key else None
    if done is not None and done.customer_id == current_user.id:
        return _after_placing(done)
    values = {
        "address": form.address.data,
        "lat": float(form.latitude.data),
        "lng": float(form.longitude.data),
        "note": form.note.data or "",
    }
    if not form.expected_total.data or not key:
        # First step: price it and show the total.
        with act() as outcome:
            review = food.price_checkout(current_user, warung_id, **values)
        if not outcome.ok:
            return _cart_page(forms={warung_id: form}, status=422)
        form.expected_total.data = str(review.total)
        form.token.data = key or secrets.token_urlsafe(24)
        return _cart_page(forms={warung_id: form}, reviews={warung_id: review})
    try:
        expected = int(form.expected_total.data)
    except ValueError:
        expected = None
    changed = None
    try:
        with act() as outcome:
            try:
                order = food.place_order(
                    current_user,
                    warung_id,
                    key=key,
                    payment_method=form.payment_method.data,
                    expected_total=expected,
                    **values,
                )
            except food.TotalChanged as error:
                changed = error.checkout  # shown as the new total to confirm
                raise
    except IntegrityError:
        # The same form was submitted twice at once: the other request made the order.
        db.session.rollback()
        order = food.order_for_key(key)
        if order is None or order.customer_id != current_user.id:
            raise
        return _after_placing(order)
    if changed is not None:
        form.expected_total.data = str(changed.total)
        return _cart_page(forms={warung_id: form}, reviews={warung_id: changed}, status=409)
    if not outcome.ok:
        form.expected_total.data = ""
        return _cart_page(forms={warung_id: form}, status=422)
    return _after_placing(order)


def _after_placing(order: FoodOrder):
    if order.state == OrderStatus.AWAITING_PAYMENT and order.payment_method == "card":
        from portal.payments.services import pay_url, payment_for

        payment = payment_for(food.PAYABLE, order.id)
        if payment is not None:
            return redirect(pay_url(payment))
    flash(_("Order %(n)s placed. We will tell you when the warung accepts it.", n=order.id), "success")
    return redirect(url_for("food.order", order_id=order.id))


# ---------------------------------------------------------------------------------------------
# The order page (customer and the warung's owner)


def _viewable_order(order_id: int) -> FoodOrder:
    order = db.session.get(FoodOrder, order_id, options=[joinedload(FoodOrder.warung)])
    ensure(order is not None and (order.customer_id == current_user.id or order.warung.owner_id == current_user.id))
    return order


def _viewer_locale(user_locale: str | None) -> str:
    """What portal.i18n.select_locale answers for this viewer, without loading the user."""
    languages = current_app.config["LANGUAGES"]
    if user_locale in languages:
        return user_locale
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def _order_etag(delivery, status: str, updated_at, viewer_locale: str, is_customer: bool) -> str:
    from portal.couriers.services import tracking_etag

    # The fragment and the full page are different bodies: they never share an ETag.
    fragment = bool(request.headers.get("HX-Request"))
    return tracking_etag(delivery, "food", status, updated_at.timestamp(), viewer_locale, is_customer, fragment)


def _unchanged_poll(order_id: int):
    """The tracking poll answered from ONE query: a 304 when nothing moved.

    It reads the viewer from the session token itself (what the login manager would load) and
    joins the order's latest delivery, so an unchanged poll never loads the user, the order's
    items or any template. The ETag is the same one the full render computes.
    """
    token = session.get("_user_id")
    if not token:
        return None
    row = food.poll_state(order_id, token)
    if row is None:
        return None
    status, updated_at, is_customer, user_locale, delivery = row
    etag = _order_etag(delivery, status, updated_at, _viewer_locale(user_locale), bool(is_customer))
    return not_modified(etag)


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    # Only the polled fragment is cached by ETag: the full page carries flash messages and forms.
    polling = bool(request.headers.get("HX-Request"))
    if polling and request.if_none_match and (cached := _unchanged_poll(order_id)) is not None:
        return cached
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    from portal.couriers.contract import Purpose
    from portal.couriers.services import find_delivery

    order = _viewable_order(order_id)
    is_customer = order.customer_id == current_user.id
    if (
        is_customer
        and order.state == OrderStatus.AWAITING_PAYMENT
        and order.payment_method == "card"
        and not request.headers.get("HX-Request")
    ):
        # Back from the card page (return_url): pull the payment's state now.
        from portal.payments.services import payment_for, sync_payment

        payment = payment_for(food.PAYABLE, order.id)
        if payment is not None:
            sync_payment(payment)
            db.session.commit()
    delivery = find_delivery(Purpose.FOOD, order.id)
    etag = _order_etag(delivery, order.status, order.updated_at, _viewer_locale(current_user.locale), is_customer)
    if polling and (cached := not_modified(etag)) is not None:
        return cached
    pay = None
    if is_customer and order.state == OrderStatus.AWAITING_PAYMENT and order.payment_method == "card":
        from portal.payments.services import pay_url, payment_for

        payment = payment_for(food.PAYABLE, order.id)
        pay = pay_url(payment) if payment else None
    response = render(
        "food/order.html",
        "tracking",
        order=order,
        delivery=delivery,
        is_customer=is_customer,
        pay=pay,
        rating=RatingForm(),
        poll_etag=etag,
    )
    return with_etag(response, etag) if polling else response


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel(order_id: int):
    order = _viewable_order(order_id)
    ensure(order.customer_id == current_user.id)
    if EmptyForm().validate_on_submit():
        with act(success=_("Order %(n)s is cancelled. If you paid, the money is refunded.", n=order.id)):
            food.cancel_order(order, by=current_user)
    return redirect(url_for("food.order", order_id=order.id))


@bp.post("/orders/<int:order_id>/rating")
@login_required
def rate(order_id: int):
    order = _viewable_order(order_id)
    ensure(order.customer_id == current_user.id)
    form = RatingForm()
    if form.validate_on_submit():
        with act(success=_("Thank you for your rating!")):
            food.rate_order(
                order,
                by=current_user,
                warung_stars=int(form.warung_stars.data),
                courier_stars=int(form.courier_stars.data) if form.courier_stars.data else None,
                comment=form.comment.data,
            )
    else:
        flash(_("Choose 1 to 5 stars."), "error")
    return redirect(url_for("food.order", order_id=order.id))


@bp.record_once
def _bench_baseline(state) -> None:
    """`make bench` compares every route with this bare one; it exists only when BENCH is on."""
    if state.app.config.get("BENCH"):
        state.app.add_url_rule("/bench/baseline", "bench_baseline", lambda: "ok")
