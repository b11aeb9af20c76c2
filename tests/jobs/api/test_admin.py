"""API tokens in the admin: created by their user with the secret shown once, revoked, others' hidden."""

import pytest
from django.test import Client

from jobs.api.models import ApiToken
from jobs.api.tokens import token_create, token_hash
from tests.apiclient import ApiClient

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_staff_user_creates_a_token_and_sees_its_secret_once(viewer):
    client = logged_in(viewer)
    response = client.post("/admin/jobs_api/apitoken/add/", {"name": "laptop", "expires_at_0": "", "expires_at_1": ""},
                           follow=True)
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"] if "not shown again" in str(m)]
    secret = shown[0].rsplit(" ", 1)[-1]
    assert token.user == viewer and token.key_hash == token_hash(secret)
    page = client.get(f"/admin/jobs_api/apitoken/{token.pk}/change/").content.decode()
    assert secret not in page and token.prefix in page
    assert ApiClient(secret).get("/api/v1/jobs/").status_code == 200


def test_revoke_action_and_own_tokens_only(viewer, operator):
    mine, secret = token_create(user=viewer, name="mine")
    theirs, _ = token_create(user=operator, name="theirs")
    client = logged_in(viewer)
    listing = client.get("/admin/jobs_api/apitoken/").content.decode()
    assert "mine" in listing and "theirs" not in listing
    assert client.get(f"/admin/jobs_api/apitoken/{theirs.pk}/change/").status_code == 302  # not found for this user
    client.post("/admin/jobs_api/apitoken/", {"action": "revoke_selected", "_selected_action": [mine.pk, theirs.pk]})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_revoked and not theirs.is_revoked
    assert ApiClient(secret).get("/api/v1/jobs/").json()["code"] == "token_revoked"
