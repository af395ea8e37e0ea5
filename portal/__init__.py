"""Gancang: one portal for Banyuwangi's food delivery, Ijen rides, documents and medicine."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from portal import config as config_module
from portal import converters
from portal.templating import Portal

# In dependency order (demo data is seeded in this order). A domain whose package does not
# exist yet is skipped, so adding one needs no edit here.
DOMAINS = ("main", "accounts", "admin", "couriers", "payments", "food", "rides", "documents", "medicine")


def create_app(config: config_module.Config | dict[str, Any] | str | None = None) -> Flask:
    """`config` is a Config object, a config name ("testing"), or overrides on top of the environment's."""
    app = Portal(
        __name__, template_folder="../templates", static_folder="../static", instance_path=str(config_module.INSTANCE)
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    load_config(app, config)
    configure_logging(app)
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def load_config(app: Flask, config: config_module.Config | dict[str, Any] | str | None) -> None:
    if isinstance(config, config_module.Config):
        app.config.from_object(config)
    elif isinstance(config, str):
        app.config.from_object(config_module.load(config))
    else:
        app.config.from_object(config_module.load())
        app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set")


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register_extensions(app: Flask) -> None:
    from portal import assets, audit, formatting, i18n, jobs, security  # noqa: F401 - jobs registers its listeners; audit its table
    from portal.extensions import babel, compress, csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", i18n.translation_directories(app))
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to continue.")
    login_manager.user_loader(_load_user)
    security.init_app(app)
    assets.init_app(app)
    formatting.init_app(app)


def _load_user(session_token: str):
    """The signed-in user and their roles in ONE query: see portal.accounts.identity."""
    from portal.accounts.identity import load_user

    return load_user(session_token)


def register_converters(app: Flask) -> None:
    converters.init_app(app)


def installed_domains() -> list[str]:
    from importlib.util import find_spec

    return [domain for domain in DOMAINS if find_spec(f"portal.{domain}") is not None]


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for domain in installed_domains():
        import_module(f"portal.{domain}.routes")
        app.register_blueprint(import_module(f"portal.{domain}").bp)


def register_errorhandlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException, InternalServerError

    from portal.errors import render_error

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return render_error(error)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_error(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        from portal.extensions import db

        db.session.rollback()
        app.logger.exception("unhandled error")
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return render_error(InternalServerError())


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from portal import navigation
    from portal.pagecache import csrf_token_value

    app.add_template_global(csrf_token_value)
    app.add_template_global(navigation.nav_links)
    app.add_template_global(navigation.admin_links)
    app.add_template_global(navigation.services)

    @app.context_processor
    def _locale() -> dict[str, Any]:
        return {"current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])}


def register_commands(app: Flask) -> None:
    from portal.cli import register

    register(app)
