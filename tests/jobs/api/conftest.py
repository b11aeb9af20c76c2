"""Users of every role with their API tokens, and a client that sends a token."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from jobs.api.tokens import token_create, token_revoke
from tests.factories import UserFactory


class ApiClient:
    """Django's test client with ``Authorization: Bearer <secret>`` and JSON bodies."""

    def __init__(self, secret: str | None = None, client: Client | None = None):
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def request(self, method: str, url: str, data=None, **headers):
        call = getattr(self.client, method.lower())
        kwargs = {"headers": {**self.headers, **headers}}
        if data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        return call(url, **kwargs)

    def get(self, url, **headers):
        return self.request("GET", url, **headers)

    def post(self, url, data=None, **headers):
        return self.request("POST", url, {} if data is None else data, **headers)

    def patch(self, url, data, **headers):
        return self.request("PATCH", url, data, **headers)

    def put(self, url, data, **headers):
        return self.request("PUT", url, data, **headers)

    def delete(self, url, **headers):
        return self.request("DELETE", url, **headers)


# The groups the migrations create; a transactional test's flush removes them, so they are made again here.
SHIPPED_GROUPS = [
    ("jobs", importlib.import_module("jobs.migrations.0002_groups").GROUPS),
    ("exports", importlib.import_module("exports.migrations.0002_group_permissions").GROUPS),
]


def group(name: str) -> Group:
    found, _ = Group.objects.get_or_create(name=name)
    for app_label, groups in SHIPPED_GROUPS:
        found.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=groups[name]))
    return found


def user_in(name: str, *groups: str, **extra):
    user = UserFactory(username=name, is_staff=True, **extra)
    user.groups.add(*(group(name) for name in groups))
    return user


@pytest.fixture
def viewer(db):
    return user_in("viewer", "Job viewers")


@pytest.fixture
def operator(db):
    return user_in("operator", "Job operators")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def token_client(user, **token) -> ApiClient:
    _, secret = token_create(user=user, name="tests", **token)
    return ApiClient(secret)


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
