"""Calling the HTTP API in tests: a client that sends an API token, and users in the shipped groups."""

from __future__ import annotations

import importlib
import json

from django.contrib.auth.models import Group, Permission
from django.test import Client

from jobs.api.tokens import token_create
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


def token_client(user, **token) -> ApiClient:
    _, secret = token_create(user=user, name="tests", **token)
    return ApiClient(secret)
