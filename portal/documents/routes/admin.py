"""The admin's page for documents: who pays the delivery per document type, and who looked at
residents' personal data."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.access import role_required
from portal.accounts.models import Role
from portal.actions import act
from portal.documents import bp
from portal.documents import services as documents
from portal.documents.forms import FeesForm


@bp.route("/admin/documents/fees", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_fees():
    settings = documents.fees.all_settings()
    form = FeesForm(data={"free": [kind.value for kind, free in settings if free]})
    if form.validate_on_submit():
        chosen = set(form.free.data or [])
        with act(success=_("Saved. New requests follow the new setting.")):
            for kind, _free in settings:
                documents.fees.set_free(kind, kind.value in chosen, by=current_user)
        return redirect(url_for("documents.admin_fees"))
    return render_template(
        "documents/admin_fees.html",
        form=form,
        settings=settings,
        looks=documents.looks(),
        overdue=documents.overdue_count(),
    )
