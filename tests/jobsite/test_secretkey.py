"""The secret-key rule: refused with DEBUG off when missing, short or public; generated once in DEBUG."""

import secrets

import pytest
from django.core.exceptions import ImproperlyConfigured

from jobsite.secretkey import secret_key_problem, secret_key_resolve

GOOD = secrets.token_urlsafe(50)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "not set"),
        ("change-me-in-production", "publicly known"),
        ("jobsite-insecure-development-key-change-me", "publicly known"),
        ("django-insecure-" + "x1y2z3" * 10, "publicly known"),
        ("short-but-random-Zq8", "too short"),
        ("a" * 60, "too short or too simple"),
    ],
)
def test_unfit_keys_are_named(key, problem):
    assert problem in secret_key_problem(key)


def test_a_long_random_key_is_fit():
    assert secret_key_problem(GOOD) is None


@pytest.mark.parametrize("key", ["", "change-me-in-production", "too-short"])
def test_debug_off_refuses_an_unfit_key(key, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        secret_key_resolve(given=key, debug=False, path=tmp_path / "secret_key")
    assert not (tmp_path / "secret_key").exists()


def test_debug_off_uses_a_fit_key(tmp_path):
    assert secret_key_resolve(given=GOOD, debug=False, path=tmp_path / "secret_key") == GOOD


def test_debug_on_generates_the_key_once_and_reuses_it(tmp_path):
    path = tmp_path / "secret_key"
    first = secret_key_resolve(given="", debug=True, path=path)
    assert secret_key_problem(first) is None
    assert path.read_text().strip() == first
    assert secret_key_resolve(given="", debug=True, path=path) == first


def test_debug_on_creates_no_folder(tmp_path):
    path = tmp_path / "missing" / "secret_key"
    key = secret_key_resolve(given="", debug=True, path=path)
    assert secret_key_problem(key) is None
    assert not path.parent.exists()
