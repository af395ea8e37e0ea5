"""Every answer starts with a 3-digit status: a filter value passed as render()'s status made
`GET /admin/drivers` answer `HTTP/1.1 0 pending`, which curl and httpx refuse and a proxy turns
into a 502, locking admins out of the verification queues."""

from __future__ import annotations

import pytest
from flask import make_response

from portal.htmx import render
from tests.conftest import assert_valid_status_line


@pytest.mark.parametrize(
    "url",
    [
        "/admin/drivers",
        "/admin/drivers?status=verified",
        "/admin/drivers?status=rejected",
        "/admin/warungs",
        "/admin/warungs?status=verified",
        "/admin/warungs?status=rejected",
    ],
)
def test_admin_verification_queues_answer_a_real_status_line(client, auth, admin, url):
    auth.login(admin)
    response = client.get(url)
    assert response.status == "200 OK"


def test_render_refuses_a_status_that_is_not_an_http_code(app):
    with app.test_request_context("/"):
        for wrong in ("pending", "200", 0, 1000, True, 200.0):
            with pytest.raises(TypeError):
                render("errors/error.html", code=404, title="x", hint="", status=wrong)
        assert render("errors/error.html", code=404, title="x", hint="", status=404).status == "404 NOT FOUND"


def test_the_test_client_refuses_a_broken_status_line(app, client):
    app.add_url_rule("/broken-status", "broken_status", lambda: make_response("x", "0 pending"))
    with pytest.raises(AssertionError, match="invalid HTTP status line"):
        client.get("/broken-status")


@pytest.mark.parametrize("line", ["0 pending", "pending", "20 OK", "2000 OK", "200\r\nX: y", ""])
def test_status_line_check_refuses(line):
    with pytest.raises(AssertionError):
        assert_valid_status_line(line)


@pytest.mark.parametrize("line", ["200 OK", "422 UNPROCESSABLE ENTITY", "304 NOT MODIFIED", "599"])
def test_status_line_check_accepts(line):
    assert_valid_status_line(line)
