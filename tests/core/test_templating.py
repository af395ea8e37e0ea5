"""The Jinja environment: templates share its globals, without letting one template's leak."""

from __future__ import annotations


def test_a_template_sees_globals_added_after_it_was_loaded(app):
    template = app.jinja_env.from_string("{{ greeting }}")
    app.jinja_env.globals["greeting"] = "selamat pagi"
    try:
        assert template.render() == "selamat pagi"
    finally:
        del app.jinja_env.globals["greeting"]


def test_a_templates_own_globals_stay_its_own(app):
    own = app.jinja_env.from_string("{{ warung }}", globals={"warung": "Bu Sri"})
    other = app.jinja_env.from_string("{{ warung }}")
    assert own.render() == "Bu Sri"
    assert other.render() == ""
    assert "warung" not in app.jinja_env.globals


def test_pages_render_with_the_environments_globals(app):
    with app.test_request_context("/"):
        rendered = app.jinja_env.from_string("{{ url_for('food.cart') }} {{ _('Cart') }}").render()
    assert rendered.startswith("/cart ")
