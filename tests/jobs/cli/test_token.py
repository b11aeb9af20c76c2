"""``manage.py jobs token``: create (the secret printed once), list, revoke; bad input exits 2."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobs.api.models import ApiToken
from jobs.api.tokens import token_hash
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def jobs_token(*args) -> list[str]:
    out = StringIO()
    call_command("jobs", "token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_create_list_revoke():
    UserFactory(username="ci")
    created = jobs_token("create", "ci", "--name", "deploy", "--days", "30")
    secret = created[1]
    token = ApiToken.objects.get()
    assert created[0].startswith(f"token {token.pk} for ci (deploy, expires ")
    assert secret.startswith("jst_") and token.key_hash == token_hash(secret) and secret not in token.prefix
    listed = jobs_token("list", "--user", "ci")
    assert len(listed) == 1 and listed[0].startswith(f"{token.pk} ci 'deploy' {token.prefix}") and secret not in listed[0]
    assert jobs_token("revoke", str(token.pk)) == [f"token {token.pk} (deploy) revoked"]
    assert "revoked" in jobs_token("list")[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["create", "nobody", "--name", "x"], "no user 'nobody'"),
        (["create", "ci", "--name", "x", "--days", "0"], "--days must be positive"),
        (["revoke", "999"], "no token with id 999"),
    ],
)
def test_bad_input_exits_2(args, message):
    UserFactory(username="ci")
    with pytest.raises(CommandError, match=message) as caught:
        jobs_token(*args)
    assert caught.value.returncode == 2
    assert not ApiToken.objects.exists()


def test_revoking_twice_is_refused():
    UserFactory(username="ci")
    jobs_token("create", "ci", "--name", "x")
    token = ApiToken.objects.get()
    jobs_token("revoke", str(token.pk))
    with pytest.raises(CommandError, match="already revoked") as caught:
        jobs_token("revoke", str(token.pk))
    assert caught.value.returncode == 2
