"""Gancang: one portal for Banyuwangi's food delivery, Ijen rides, documents and medicine."""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import assets, audit, converters, formatting, i18n, jobs, navigation, reasons, security, ui  # noqa: F401 - audit's table joins the metadata; jobs registers its after-commit listeners
from portal import config as config_module
from portal.accounts import identity
from portal.cli import register as register_cli
from portal.database import init_reader
from portal.domains import DOMAINS, installed_domains
from portal.errors import render_error
from portal.extensions import babel, cache, compress, csrf, db, htmx, limiter, login_manager, migrate
from portal.pagecache import csrf_token_value

__all__ = ["DOMAINS", "create_app", "installed_domains"]


def create_app(config: config_module.Config | dict[str, Any] | str | None = None) -> Flask:
    """`config` is a Config object, a config name ("testing"), or overrides on top of the environment's."""
    app = Flask(
        __name__, template_folder="../templates", static_folder="../static", instance_path=str(config_module.INSTANCE)
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    load_config(app, config)
    configure_logging(app)
    if app.config.get("PROXY_HOPS"):
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
    db.init_app(app)
    with app.app_context():
        init_reader(app, db.engine)
    migrate.init_app(app, db, directory=str(config_module.ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", i18n.translation_directories(app))
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = _l("Please log in to continue.")
    identity.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    ui.init_app(app)
    formatting.init_app(app)
    reasons.init_app(app)


def register_converters(app: Flask) -> None:
    converters.init_app(app)


def register_blueprints(app: Flask) -> None:
    # By name: a domain's routes import the models and services of the domains it builds on,
    # which need the extensions above; and a domain not built yet is simply absent.
    for domain in installed_domains():
        import_module(f"portal.{domain}.routes")
        app.register_blueprint(import_module(f"portal.{domain}").bp)


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return render_error(error)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_error(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return render_error(InternalServerError())


def register_template_helpers(app: Flask) -> None:
    app.add_template_global(csrf_token_value)
    app.add_template_global(navigation.nav_links)
    app.add_template_global(navigation.admin_links)
    app.add_template_global(navigation.services)

    @app.context_processor
    def _locale() -> dict[str, Any]:
        return {"current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])}


def register_commands(app: Flask) -> None:
    register_cli(app)
