"""Two web nodes share the menu cache through Redis (production's CACHE_TYPE=RedisCache): a
page rendered on one is served by the other, and a write on one shows on the other's next visit."""

from __future__ import annotations

import os
import uuid

import pytest
from flask import template_rendered

from portal.extensions import cache
from portal.food import routes
from portal.food.models import Dish
from tests.conftest import make_app


@pytest.fixture
def nodes(database_uri, localstripe, app):
    """Two apps on one database and one Redis, as two machines would be."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("the shared menu cache needs Redis (REDIS_URL)")
    shared = {
        **localstripe.config,
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": os.environ["REDIS_URL"],
        "CACHE_KEY_PREFIX": f"gancang-nodes-{uuid.uuid4().hex[:8]}:",
    }
    made = make_app(database_uri, **shared), make_app(database_uri, **shared)
    yield made
    with made[0].app_context():
        cache.clear()


def visit(node, url: str) -> tuple[str, int]:
    """The menu as a visitor of `node` sees it, and how many times the node rendered it. The
    two apps share this test process's memo of split pages; a second machine would not have it."""
    routes.MENU_PAGES._pages.clear()
    renders = []

    def count(sender, template, context, **extra):
        if template.name == "food/warung.html":
            renders.append(template.name)

    with template_rendered.connected_to(count, node):
        html = node.test_client().get(url).get_data(as_text=True)
    return html, len(renders)


def test_a_page_rendered_on_one_node_is_served_by_the_other(nodes, dishes, warung):
    node_a, node_b = nodes
    url = f"/warungs/{warung.slug}"
    _first, renders_a = visit(node_a, url)
    again, renders_b = visit(node_b, url)
    assert (renders_a, renders_b) == (1, 0)
    assert "Rujak Soto" in again and "Rp25.000" in again


def test_a_write_on_one_node_shows_on_the_other_at_once(nodes, db, dishes, warung):
    node_a, node_b = nodes
    url = f"/warungs/{warung.slug}"
    assert "Rp25.000" in visit(node_b, url)[0]
    with node_a.app_context():  # the owner's edit, made through node A
        dish = db.session.get(Dish, dishes[0].id)
        dish.price = 27500
        db.session.commit()
    html, renders = visit(node_b, url)
    assert "Rp27.500" in html and "Rp25.000" not in html
    assert renders == 1
    on_a, renders_a = visit(node_a, url)  # B's render of the new version, through Redis
    assert "Rp27.500" in on_a and renders_a == 0


def test_the_menu_answers_when_the_shared_cache_does_not(database_uri, localstripe, app, dishes, warung):
    """Redis stopped: every visit renders the page itself (slower), none fails."""
    node = make_app(
        database_uri, **localstripe.config, CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:1/0"
    )
    html, renders = visit(node, f"/warungs/{warung.slug}")
    assert "Rujak Soto" in html and renders == 1
