"""The warung owner: profile and hours, the menu, and the board of incoming orders."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.extensions import db
from portal.food import bp
from portal.food import services as food
from portal.food.forms import DishForm, HandoverForm, RejectForm, WarungForm
from portal.food.models import Dish, FoodOrder
from portal.food.photos import PhotoError, save_photo
from portal.food.routes.public import locale
from portal.formatting import rupiah
from portal.htmx import not_modified, render, wants_fragment, with_etag
from portal.maps.forms import resolve_pin
from portal.promotions import services as promo

UPLOADS = {"food.my_warung", "food.dishes", "food.edit_dish"}
UPLOAD_LIMIT = 40 * 1024 * 1024


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, values) -> None:
    """Let a too-large photo reach the form (which says so and keeps what was typed) instead of
    an anonymous 413 page. Runs before CSRF reads the body."""
    if endpoint in UPLOADS and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


# ---------------------------------------------------------------------------------------------
# Profile, hours, closed today


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


def _warung_pin(form: WarungForm, warung) -> tuple[float, float] | None:
    """The pin sent; or, when the address changed and the pin did not (no JavaScript), the new
    address's place if the geocoder knows it (else the pin stays); or, for a new warung without
    a pin, the geocoder's place for its address."""
    if warung is not None and form.address.data.strip() != warung.address.strip():
        kept = (form.latitude.data, form.longitude.data)
        if kept[0] is not None and (round(float(kept[0]), 6), round(float(kept[1]), 6)) == (
            round(warung.lat, 6),
            round(warung.lng, 6),
        ):
            form.latitude.data = form.longitude.data = None
            if resolve_pin(form.address, form.latitude, form.longitude) is None:
                form.address.errors = []
                form.latitude.data, form.longitude.data = kept
    return resolve_pin(form.address, form.latitude, form.longitude)


@bp.route("/my/warung", methods=["GET", "POST"])
@role_required(Role.OWNER)
def my_warung():
    warung = food.warung_of(current_user)
    form = WarungForm(obj=warung)
    if request.method == "GET" and warung is not None:
        form.latitude.data, form.longitude.data = Decimal(str(warung.lat)), Decimal(str(warung.lng))
        for day, hours in enumerate(form.hours_fields()):
            hours.data = food.format_periods(warung.periods_on(day))
    if form.validate_on_submit() and _warung_pin(form, warung) is not None:
        key, ok = _photo_from(form)
        if ok:
            with act(success=_("Your warung is saved.")) as outcome:
                warung = food.save_warung(
                    current_user,
                    name=form.name.data,
                    description=form.description.data,
                    description_en=form.description_en.data,
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
    verified = warung is not None and warung.verified
    return render(
        "food/my_warung.html",
        form=form,
        warung=warung,
        closed=EmptyForm(),
        stats=stats,
        festivals=promo.open_festivals() if verified else [],
        entries=promo.entries_of_warung(warung) if verified else {},
        status=422 if failed else 200,
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
# The menu


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
        "category_en": (form.category_en.data or "").strip(),
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
    if wants_fragment():
        return render("food/dishes.html", "dish_row", dish=dish, button=EmptyForm())
    return redirect(url_for("food.dishes") + f"#dish-{dish.id}")


# ---------------------------------------------------------------------------------------------
# Incoming orders


@bp.get("/my/warung/orders")
@role_required(Role.OWNER)
def owner_orders():
    warung = _my_warung_or_redirect()
    if warung is None:
        return redirect(url_for("food.my_warung"))
    fragment = wants_fragment()  # the board alone, polled; the full page is a different body
    version = f"{food.board_etag(warung)}-{locale()}"
    etag = f"{version}-{fragment}"
    if fragment and (cached := not_modified(etag)):
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
    return with_etag(response, etag) if fragment else response


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
    return _owner_move(order_id, food.mark_ready, _("Order %(n)s is ready: we are finding a courier."))


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


@bp.route("/my/warung/cash", methods=["GET", "POST"])
@role_required(Role.OWNER)
def cash():
    """The cash couriers hold for the warung (cash-on-delivery orders, less their fees), and the
    owner's "received" for each: what the courier's day counts as handed over."""
    warung = _my_warung_or_redirect()
    if warung is None:
        return redirect(url_for("food.my_warung"))
    form, status = HandoverForm(), 200
    if form.validate_on_submit():
        with act(flash_error=False) as outcome:  # the refusal goes under the amount typed
            food.record_handover(warung, form.courier_id.data, form.amount.data, by=current_user)
        if outcome.ok:
            flash(_("Recorded: %(amount)s received.", amount=rupiah(form.amount.data)), "success")
            return redirect(url_for("food.cash"))
        form.amount.errors = [*form.amount.errors, outcome.error]
        status = 422
    elif request.method == "POST":
        status = 422
    return render("food/cash.html", held=food.cash_held(warung), form=form, status=status)
