"""Templates speak the request's language, and the language a block forces, in one request."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, refresh

CART = "{{ _('Log in') }}|{{ ngettext('Cart: %(num)s item, %(total)s', 'Cart: %(num)s items, %(total)s', 2, total=9) }}"
EN, ID = "Log in|Cart: 2 items, 9", "Masuk|Keranjang: 2 item, 9"


def test_templates_follow_force_locale_and_back_within_one_request(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert render_template_string(CART) == EN
        with force_locale("id"):
            # a notification to an Indonesian speaker, rendered during an English request
            assert render_template_string(CART) == ID
        assert render_template_string(CART) == EN


def test_templates_follow_a_refreshed_choice(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert render_template_string(CART) == EN
        app.config["LANGUAGES"], languages = ["id"], app.config["LANGUAGES"]
        try:
            refresh()  # e.g. the user just chose another language
            assert render_template_string(CART) == ID
        finally:
            app.config["LANGUAGES"] = languages


def test_outside_a_request_templates_render_in_the_default_language(app):
    with app.app_context():
        assert render_template_string(CART) == ID
