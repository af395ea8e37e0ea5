from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.models import Role, User, UserRole
from portal.cli import seed_all
from tests.factories import UserFactory


def test_cli_grants_a_role(app, db, user):
    result = app.test_cli_runner().invoke(args=["users", "grant", user.email.upper(), "owner"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.has_role(Role.OWNER)
    again = app.test_cli_runner().invoke(args=["users", "grant", user.email, "owner"])
    assert "already" in again.output
    assert [r.role for r in user.roles] == ["owner"]


def test_cli_refuses_unknown_user_and_role(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "grant", "ghost@example.com", "owner"]).exit_code != 0
    assert runner.invoke(args=["users", "grant", "ghost@example.com", "emperor"]).exit_code != 0


def test_admin_grants_and_revokes_roles(auth, db, user):
    admin = UserFactory(roles=[Role.ADMIN])
    db.session.commit()
    auth.login(admin)
    response = auth.post(f"/admin/users/{user.id}/roles", {"role": "driver"}, page="/admin/users")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.has_role(Role.DRIVER)

    listing = auth.client.get(f"/admin/users?q={user.email}").get_data(as_text=True)
    assert user.email in listing and "Pengemudi / kurir" in listing

    # Without JavaScript the first tap only asks; "Yes, remove" removes.
    asked = auth.post(f"/admin/users/{user.id}/roles/driver/revoke", page="/admin/users")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'name="confirmed" value="1"' in page
    assert f"Cabut peran Pengemudi / kurir dari {user.name}?" in page
    db.session.refresh(user)
    assert user.has_role(Role.DRIVER)
    auth.post(f"/admin/users/{user.id}/roles/driver/revoke", {"confirmed": "1"}, page="/admin/users")
    db.session.refresh(user)
    assert not user.has_role(Role.DRIVER)


def test_admin_cannot_remove_own_admin_role(auth, db):
    admin = UserFactory(roles=[Role.ADMIN])
    db.session.commit()
    auth.login(admin)
    auth.post(f"/admin/users/{admin.id}/roles/admin/revoke", {"confirmed": "1"}, page="/admin/users")
    db.session.refresh(admin)
    assert admin.has_role(Role.ADMIN)


def test_customer_cannot_grant_roles(auth, db, user):
    auth.login(user)
    response = auth.post(f"/admin/users/{user.id}/roles", {"role": "admin"})
    assert response.status_code == 403
    db.session.refresh(user)
    assert not user.has_role(Role.ADMIN)


def test_admin_user_list_is_paginated(auth, db):
    admin = UserFactory(roles=[Role.ADMIN])
    UserFactory.create_batch(30)
    db.session.commit()
    auth.login(admin)
    first = auth.client.get("/admin/users").get_data(as_text=True)
    assert "Halaman 1 dari 2" in first
    second = auth.client.get("/admin/users?page=2").get_data(as_text=True)
    assert "Halaman 2 dari 2" in second


def test_demo_seed_is_idempotent(app, db):

    seed_all()
    counts = (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(UserRole.id))))
    seed_all()
    assert (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(UserRole.id))),
    ) == counts
    assert counts[0] >= 7
