"""The tourism office (a promoter, or any admin): festivals, collections, and the decisions on
warungs that want to take part. Every decision is a workflow move with its event."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.access import ensure, role_required
from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.actions import act
from portal.extensions import db
from portal.food.models import Warung, WarungStatus
from portal.food.photos import PhotoError, delete_photo, save_photo
from portal.formatting import to_wib
from portal.htmx import render
from portal.promotions import bp
from portal.promotions import services as promo
from portal.promotions.forms import AddWarungForm, CollectionForm, FestivalForm, RejectEntryForm, wib_to_utc
from portal.promotions.models import Collection, EntryStatus, Festival, FestivalEntry

OFFICE = (Role.PROMOTER, Role.ADMIN)
UPLOADS = {"promotions.new_festival", "promotions.festival", "promotions.new_collection", "promotions.collection"}
UPLOAD_LIMIT = 40 * 1024 * 1024


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, values) -> None:
    """A too-large cover reaches the form, which says so and keeps what was typed (no bare 413)."""
    if endpoint in UPLOADS and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


def _cover_from(form) -> tuple[str | None, bool]:
    """(key, ok): stores an uploaded cover; on a bad file the field gets the error."""
    upload = form.cover.data
    if not upload or not getattr(upload, "filename", ""):
        return None, True
    try:
        return save_photo(upload.stream), True
    except PhotoError as error:
        form.cover.errors = [*form.cover.errors, str(error)]
        return None, False


def _put_cover(subject, key: str | None) -> None:
    if key is not None:
        old, subject.cover = subject.cover, key
        db.session.flush()
        delete_photo(old)


@bp.get("/promotions")
@role_required(*OFFICE)
def office():
    return render(
        "promotions/office.html", festivals=promo.festivals_for_office(), collections=promo.collections_for_office()
    )


# ---------------------------------------------------------------------------------------------
# Festivals


def _festival_fields(form: FestivalForm) -> promo.FestivalFields:
    return promo.FestivalFields(
        name_id=form.name_id.data or "",
        name_en=form.name_en.data or "",
        description_id=form.description_id.data or "",
        description_en=form.description_en.data or "",
        starts_at=wib_to_utc(form.starts_at.data),
        ends_at=wib_to_utc(form.ends_at.data),
        slug=form.slug.data or "",
    )


def _save_festival(festival: Festival | None, form: FestivalForm):
    """Validate, store the cover, save; None when done (the caller redirects), else the status."""
    if not form.validate_on_submit():
        return 422 if request.method == "POST" else 200
    key, ok = _cover_from(form)
    if not ok:
        return 422
    done = _("The festival is saved.")
    with act(success=done, flash_error=False) as outcome:
        festival = promo.save_festival(festival, _festival_fields(form), by=current_user)
        _put_cover(festival, key)
    if outcome.ok:
        return festival
    delete_photo(key)
    form.ends_at.errors = [*form.ends_at.errors, outcome.error]
    return 422


@bp.route("/promotions/festivals/new", methods=["GET", "POST"])
@role_required(*OFFICE)
def new_festival():
    form = FestivalForm()
    result = _save_festival(None, form)
    if isinstance(result, Festival):
        return redirect(url_for("promotions.festival", festival_id=result.id))
    if result == 422:
        flash(_("Please check the highlighted fields."), "error")
    return render("promotions/festival_form.html", form=form, festival=None, status=result)


@bp.route("/promotions/festivals/<int:festival_id>", methods=["GET", "POST"])
@role_required(*OFFICE)
def festival(festival_id: int):
    festival = db.get_or_404(Festival, festival_id)
    form = FestivalForm(obj=festival)
    if request.method == "GET":
        form.starts_at.data = to_wib(festival.starts_at).replace(tzinfo=None)
        form.ends_at.data = to_wib(festival.ends_at).replace(tzinfo=None)
    result = _save_festival(festival, form)
    if isinstance(result, Festival):
        return redirect(url_for("promotions.festival", festival_id=festival.id))
    if result == 422:
        flash(_("Please check the highlighted fields."), "error")
    status = request.args.get("status", "")
    if status not in EntryStatus._value2member_map_:
        status = ""
    return render(
        "promotions/festival_form.html",
        form=form,
        festival=festival,
        entries=promo.festival_entries(festival, status or None),
        selected=status,
        statuses=list(EntryStatus),
        button=EmptyForm(),
        reject=RejectEntryForm(),
        status=result,
    )


def _entry(entry_id: int) -> FestivalEntry:
    entry = db.session.get(FestivalEntry, entry_id)
    ensure(entry is not None)
    return entry


@bp.post("/promotions/entries/<int:entry_id>/approve")
@role_required(*OFFICE)
def approve_entry(entry_id: int):
    entry = _entry(entry_id)
    if EmptyForm().validate_on_submit():
        with act(success=_("%(warung)s takes part in the festival.", warung=entry.warung.name)):
            promo.approve_entry(entry, by=current_user)
    return redirect(url_for("promotions.festival", festival_id=entry.festival_id) + "#entries")


@bp.post("/promotions/entries/<int:entry_id>/reject")
@role_required(*OFFICE)
def reject_entry(entry_id: int):
    entry = _entry(entry_id)
    form = RejectEntryForm()
    if form.validate_on_submit():
        with act(success=_("%(warung)s is not approved; the owner sees why.", warung=entry.warung.name)):
            promo.reject_entry(entry, by=current_user, reason=form.reason.data)
    else:
        flash(_("Say why, so the owner understands."), "error")
    return redirect(url_for("promotions.festival", festival_id=entry.festival_id) + "#entries")


# ---------------------------------------------------------------------------------------------
# Collections


def _collection_fields(form: CollectionForm) -> promo.CollectionFields:
    return promo.CollectionFields(
        title_id=form.title_id.data or "",
        title_en=form.title_en.data or "",
        description_id=form.description_id.data or "",
        description_en=form.description_en.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        slug=form.slug.data or "",
    )


def _save_collection(collection: Collection | None, form: CollectionForm):
    if not form.validate_on_submit():
        return 422 if request.method == "POST" else 200
    key, ok = _cover_from(form)
    if not ok:
        return 422
    with act(success=_("The collection is saved."), flash_error=False) as outcome:
        collection = promo.save_collection(collection, _collection_fields(form), by=current_user)
        _put_cover(collection, key)
    if outcome.ok:
        return collection
    delete_photo(key)
    form.ends_on.errors = [*form.ends_on.errors, outcome.error]
    return 422


def _add_form(collection: Collection) -> AddWarungForm:
    form = AddWarungForm(prefix="add")
    taken = {item.warung_id for item in collection.items}
    rows = db.session.execute(
        select(Warung.id, Warung.name).where(Warung.status == WarungStatus.VERIFIED).order_by(Warung.name)
    )
    form.warung_id.choices = [(warung_id, name) for warung_id, name in rows if warung_id not in taken]
    return form


@bp.route("/promotions/collections/new", methods=["GET", "POST"])
@role_required(*OFFICE)
def new_collection():
    form = CollectionForm()
    result = _save_collection(None, form)
    if isinstance(result, Collection):
        return redirect(url_for("promotions.collection", collection_id=result.id))
    if result == 422:
        flash(_("Please check the highlighted fields."), "error")
    return render("promotions/collection_form.html", form=form, collection=None, status=result)


@bp.route("/promotions/collections/<int:collection_id>", methods=["GET", "POST"])
@role_required(*OFFICE)
def collection(collection_id: int):
    collection = db.get_or_404(Collection, collection_id)
    form = CollectionForm(obj=collection)
    result = _save_collection(collection, form)
    if isinstance(result, Collection):
        return redirect(url_for("promotions.collection", collection_id=collection.id))
    if result == 422:
        flash(_("Please check the highlighted fields."), "error")
    return render(
        "promotions/collection_form.html",
        form=form,
        collection=collection,
        add=_add_form(collection),
        button=EmptyForm(),
        status=result,
    )


@bp.post("/promotions/collections/<int:collection_id>/warungs")
@role_required(*OFFICE)
def add_to_collection(collection_id: int):
    collection = db.get_or_404(Collection, collection_id)
    form = _add_form(collection)
    if form.validate_on_submit():
        warung = db.session.get(Warung, form.warung_id.data)
        with act(success=_("%(warung)s is in the collection.", warung=warung.name)):
            promo.add_warung(collection, warung)
    else:
        flash(_("Choose a verified warung that is not in the collection yet."), "error")
    return redirect(url_for("promotions.collection", collection_id=collection.id) + "#warungs")


@bp.post("/promotions/collections/<int:collection_id>/warungs/<int:warung_id>/<action>")
@role_required(*OFFICE)
def arrange_collection(collection_id: int, warung_id: int, action: str):
    """`action`: up, down or remove."""
    collection = db.get_or_404(Collection, collection_id)
    ensure(action in ("up", "down", "remove") and any(item.warung_id == warung_id for item in collection.items))
    if EmptyForm().validate_on_submit():
        with act():
            if action == "remove":
                promo.remove_warung(collection, warung_id)
            else:
                promo.move_warung(collection, warung_id, -1 if action == "up" else 1)
    return redirect(url_for("promotions.collection", collection_id=collection.id) + "#warungs")
