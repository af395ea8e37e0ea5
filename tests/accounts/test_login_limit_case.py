"""The per-account login limit counts one account however its email is typed: `Ana@x` and
`ana@x` are the same account, so a guesser cannot double the allowance by changing case."""

from __future__ import annotations

from tests.factories import UserFactory


def test_the_login_limit_ignores_the_case_of_the_email(app, client, auth, db):
    UserFactory(email="ana@example.com")
    db.session.commit()
    spellings = ["Ana@example.com", "ana@example.com", "ANA@EXAMPLE.COM", " ana@Example.com "]
    answers = [auth.login(spellings[n % len(spellings)], "wrong-password").status_code for n in range(11)]
    assert answers[:10] == [422] * 10  # LOGIN_RATE_LIMIT: 10 per minute per address and account
    assert answers[10] == 429
