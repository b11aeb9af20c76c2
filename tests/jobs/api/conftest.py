"""A superuser, and a token client for every role (the viewer and operator come from tests/conftest.py), expired and revoked ones too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jobs.api.tokens import token_create, token_revoke
from tests.apiclient import ApiClient, token_client
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def clients(db, viewer, operator, superuser):
    """One client per role: anonymous, viewer, operator, superuser, expired token, revoked token."""
    expired = token_client(superuser, expires_at=timezone.now() - dt.timedelta(seconds=1))
    revoked_token, revoked_secret = token_create(user=superuser, name="revoked")
    token_revoke(token=revoked_token)
    return {
        "anonymous": ApiClient(),
        "viewer": token_client(viewer),
        "operator": token_client(operator),
        "superuser": token_client(superuser),
        "expired": expired,
        "revoked": ApiClient(revoked_secret),
    }


@pytest.fixture
def su_api(superuser):
    return token_client(superuser)


@pytest.fixture
def op_api(operator):
    return token_client(operator)
