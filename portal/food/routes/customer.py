"""The customer: the cart, checkout, and the order page (which the warung's owner sees too)."""

from __future__ import annotations

import secrets
from decimal import Decimal

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.accounts.access import ensure, phone_verified_required
from portal.accounts.forms import EmptyForm
from portal.accounts.routes import safe_next
from portal.actions import act
from portal.couriers.contract import Purpose
from portal.couriers.services import find_delivery, tracking_etag
from portal.extensions import db
from portal.food import bp
from portal.food import services as food
from portal.food.demo import HOMESTAYS
from portal.food.forms import AddToCartForm, CartQuantityForm, CheckoutForm, RatingForm
from portal.food.models import Dish, FoodOrder, OrderStatus, Warung
from portal.food.routes.public import locale
from portal.formatting import rupiah
from portal.htmx import not_modified, render, wants_fragment, with_etag
from portal.maps import services as maps
from portal.maps.forms import resolve_pin
from portal.payments.models import Payment
from portal.payments.pages import cash_instead
from portal.payments.services import pay_url, payment_for, register_other_way, sync_payment

# ---------------------------------------------------------------------------------------------
# The cart


def _back_to(dish: Dish | None, *, refused: bool = False):
    """Without JavaScript, back where the customer was: the menu scrolled to the dish they added
    (its row is `dish-<id>`), not the top of a long menu. A refusal goes to the top, where its
    message is."""
    anchor = None if refused or dish is None else f"dish-{dish.id}"
    target = request.form.get("next") or (
        url_for("food.warung", slug=dish.warung.slug, _anchor=anchor) if dish else url_for("food.cart")
    )
    return redirect(safe_next(target))


@bp.post("/cart/items")
@login_required
def add_to_cart():
    """ "+ Add" on the menu. htmx gets a small fragment: this dish's count and the cart bar
    (422 with the reason when refused); without JS, a message and back to the menu."""
    form = AddToCartForm()
    dish_id = form.dish_id.data if isinstance(form.dish_id.data, int) else None
    lang = locale()  # resolved now, before the commit expires the user
    added, count, total = None, 0, 0
    if form.validate_on_submit():
        with act(flash_error=False) as outcome:
            added = food.add_to_cart(current_user, dish_id, form.quantity.data or 1)
            # The cart bar, read in the same transaction as the add: one BEGIN/COMMIT.
            count, total = food.cart_summary(current_user, added.warung_id)
        error = outcome.error
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors) or _("Something is missing.")
    fragment = wants_fragment()
    dish = None
    if added is None or not fragment:
        dish = db.session.get(Dish, dish_id, options=[joinedload(Dish.warung)]) if dish_id else None
    if fragment and (added is not None or dish is not None):
        if added is None:  # refused: show what the cart holds now, and why
            quantity = food.cart_quantity(current_user, dish_id)
            count, total = food.cart_summary(current_user, dish.warung_id)
        return render(
            "food/_added.html",
            dish_id=dish_id,
            quantity=added.quantity if added else quantity,
            error=error,
            cart_count=count,
            cart_total=total,
            status=422 if error else 200,
        )
    if error:
        flash(error, "error")
    elif dish is not None:
        flash(_("%(dish)s is in your cart.", dish=dish.display_name(lang)), "success")
    return _back_to(dish, refused=bool(error))


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
    if wants_fragment():  # the cart redrawn, saying why above it
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
        saved=maps.saved_addresses(current_user),
        status=status,
        button=EmptyForm(),
        error=error,
    )


def _places():
    """One-tap addresses at checkout: the demo homestays, outside production only."""
    if current_app.config["ENV_NAME"] == "production":
        return []
    return HOMESTAYS


def _place_defaults() -> dict:
    """?saved=<id> fills one of the customer's saved addresses; ?place=<n> a demo homestay. The pin
    is that address's (`pin_for`): another address typed over it is looked up anew."""
    saved = maps.saved_address(current_user, request.args.get("saved", type=int))
    if saved is not None:
        return {
            "address": saved.address,
            "latitude": Decimal(str(saved.lat)),
            "longitude": Decimal(str(saved.lng)),
            "pin_for": saved.address,
        }
    index = request.args.get("place", type=int)
    places = _places()
    if index is not None and 0 <= index < len(places):
        place = places[index]
        return {
            "address": place["address"],
            "latitude": Decimal(str(place["lat"])),
            "longitude": Decimal(str(place["lng"])),
            "pin_for": place["address"],
        }
    return {}


@bp.get("/cart")
@login_required
def cart():
    return _cart_page()


@bp.post("/checkout")
@login_required
@phone_verified_required
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
    # No pin (no JavaScript, or no tap on the map): the geocoder finds the address, and the
    # total shown next carries that pin; nothing found asks for a better address.
    pin = resolve_pin(form.address, form.latitude, form.longitude, form.pin_for)
    if pin is None:
        form.expected_total.data = ""
        return _cart_page(forms={warung_id: form}, status=422)
    values = {
        "address": form.address.data,
        "lat": pin[0],
        "lng": pin[1],
        "note": form.note.data or "",
        "voucher_code": form.voucher_code.data or "",
    }
    if not form.expected_total.data or not key:
        # First step: price it and show the total.
        with act() as outcome:
            review = food.price_checkout(current_user, warung_id, **values)
        if not outcome.ok:
            return _cart_page(forms={warung_id: form}, status=422)
        form.expected_total.data = str(review.total)
        form.token.data = key or secrets.token_urlsafe(24)
        _say_why_no_voucher(form, review)
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
            if form.save_as.data:
                _save_address(form.save_as.data, values)
    except IntegrityError:
        # The same form was submitted twice at once: the other request made the order.
        db.session.rollback()
        order = food.order_for_key(key)
        if order is None or order.customer_id != current_user.id:
            raise
        return _after_placing(order)
    if changed is not None:
        form.expected_total.data = str(changed.total)
        _say_why_no_voucher(form, changed)
        return _cart_page(forms={warung_id: form}, reviews={warung_id: changed}, status=409)
    if not outcome.ok:
        form.expected_total.data = ""
        return _cart_page(forms={warung_id: form}, status=422)
    return _after_placing(order)


def _say_why_no_voucher(form: CheckoutForm, review: food.Checkout) -> None:
    """A typed code that does not apply (expired, spent, not for this warung…): said at the field."""
    if review.voucher_problem:
        form.voucher_code.errors = [review.voucher_problem]
    if review.voucher_code:
        form.voucher_code.data = review.voucher_code  # as normalised: "pesta 10" reads PESTA10


def _save_address(label: str, values: dict) -> None:
    """ "Save this address as": kept with the order; a refusal (too many saved) only says so."""
    try:
        saved = maps.save_address(current_user, label, values["address"], values["lat"], values["lng"])
    except maps.AddressError as error:
        flash(str(error), "info")
    else:
        flash(_("Address saved as %(label)s.", label=saved.label), "info")


def _after_placing(order: FoodOrder):
    if order.state == OrderStatus.AWAITING_PAYMENT and order.payment_method == "card":
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


def _order_etag(delivery, status: str, updated_at, is_customer: bool, fragment: bool) -> str:
    # The fragment and the full page are different bodies: they never share an ETag.
    return tracking_etag(delivery, "food", status, updated_at.timestamp(), locale(), is_customer, fragment)


def _unchanged_poll(order_id: int):
    """A 304 when nothing the tracking fragment shows has moved, from ONE query after the user
    (the order's status, who may see it, its latest delivery): no order items, no template.
    The ETag is the one the full render computes."""
    state = food.poll_state(order_id)
    if state is None or current_user.id not in (state.customer_id, state.owner_id):
        return None  # the full path says 404
    is_customer = state.customer_id == current_user.id
    return not_modified(_order_etag(state.delivery, state.status, state.updated_at, is_customer, fragment=True))


@bp.get("/orders/<int:order_id>")
@login_required
def order(order_id: int):
    # Only the polled fragment is cached by ETag: the full page carries flash messages and forms.
    polling = wants_fragment()
    if polling and request.if_none_match and (cached := _unchanged_poll(order_id)) is not None:
        return cached
    order = _viewable_order(order_id)
    is_customer = order.customer_id == current_user.id
    awaiting_card = order.state == OrderStatus.AWAITING_PAYMENT and order.payment_method == "card"
    if is_customer and awaiting_card and not polling:
        # Back from the card page (return_url): pull the payment's state now.
        payment = payment_for(food.PAYABLE, order.id)
        if payment is not None:
            sync_payment(payment)
            db.session.commit()
    delivery = find_delivery(Purpose.FOOD, order.id)
    etag = _order_etag(delivery, order.status, order.updated_at, is_customer, polling)
    if polling and (cached := not_modified(etag)) is not None:
        return cached
    pay = None
    if is_customer and order.state == OrderStatus.AWAITING_PAYMENT and order.payment_method == "card":
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


@bp.route("/orders/<int:order_id>/cash", methods=["GET", "POST"])
@login_required
def pay_cash(order_id: int):
    """The way out of a card order without JavaScript (or without a card): cash to the courier,
    asked first on the payments' shared page, as documents and medicine ask."""
    order = _viewable_order(order_id)
    ensure(order.customer_id == current_user.id)
    back = url_for("food.order", order_id=order.id)
    return cash_instead(
        allowed=food.may_pay_cash_instead(order),
        switch=lambda: food.switch_to_cash(order, by=current_user),
        switched=_(
            "You pay %(total)s in cash to the courier. The order goes to the warung now.", total=rupiah(order.total)
        ),
        amount=order.total,
        what=_("Order %(n)s from %(warung)s", n=order.id, warung=order.warung.name),
        action=url_for("food.pay_cash", order_id=order.id),
        back=back,
    )


@register_other_way(food.PAYABLE)
def _cash_instead(payment: Payment) -> tuple[str, str] | None:
    order = db.session.get(FoodOrder, payment.payable_id)
    if order is None or not food.may_pay_cash_instead(order):
        return None
    return _("Pay in cash to the courier instead (%(total)s)", total=rupiah(order.total)), url_for(
        "food.pay_cash", order_id=order.id
    )


@bp.post("/orders/<int:order_id>/again")
@login_required
def order_again(order_id: int):
    """Order again: the dishes into the cart at today's prices; the message says what did not fit."""
    order = _viewable_order(order_id)
    ensure(order.customer_id == current_user.id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("food.order", order_id=order.id))
    lang = locale()
    with act() as outcome:
        result = food.order_again(current_user, order)
    if not outcome.ok:
        return redirect(url_for("food.order", order_id=order.id))
    if result.added:
        flash(
            ngettext(
                "%(num)s dish is in your cart again.", "%(num)s dishes are in your cart again.", len(result.added)
            ),
            "success",
        )
    for dish, was in result.repriced:
        flash(
            _(
                "%(dish)s now costs %(now)s (it was %(was)s).",
                dish=dish.display_name(lang),
                now=rupiah(dish.price),
                was=rupiah(was),
            ),
            "info",
        )
    for name, why in result.missing:
        flash(_("%(dish)s could not be added: %(why)s.", dish=name, why=why), "error")
    if not result.added:
        return redirect(url_for("food.order", order_id=order.id))
    return redirect(url_for("food.cart"))


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
