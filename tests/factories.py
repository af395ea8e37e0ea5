"""factory_boy factories. Every domain adds its own in tests/<domain>/factories.py."""

from __future__ import annotations

import factory
from werkzeug.security import generate_password_hash

from portal.accounts.models import Role, User, UserRole
from portal.database import utcnow
from portal.extensions import db

DEMO_PASSWORD = "correct horse battery"
# Hashed once: the factories make many users and the KDF is deliberately slow.
_HASH = generate_password_hash(DEMO_PASSWORD, method="pbkdf2:sha256:1000")


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - factory_boy wants a callable
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    name = factory.Faker("name", locale="id_ID")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    phone = factory.Sequence(lambda n: f"+62812{n:08d}")
    password_hash = _HASH
    phone_verified_at = factory.LazyFunction(utcnow)  # unverified users are made so explicitly

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs) -> None:
        for role in extracted or []:
            self.roles.append(UserRole(role=Role(role).value))
        if create and extracted:
            db.session.flush()
