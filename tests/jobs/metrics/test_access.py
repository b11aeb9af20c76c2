"""Who may scrape /metrics: the pure rule."""

import pytest

from jobs.metrics.access import Access, allow_list_parse, metrics_access


def test_off_without_token_or_allow_list():
    assert metrics_access(token="", allow=[], authorization="Bearer x", remote_addr="127.0.0.1") is Access.OFF


def test_bearer_token():
    check = dict(token="s3cret", allow=[], remote_addr="10.1.2.3")
    assert metrics_access(authorization="Bearer s3cret", **check) is Access.ALLOWED
    assert metrics_access(authorization="bearer s3cret", **check) is Access.ALLOWED
    assert metrics_access(authorization="Bearer wrong", **check) is Access.DENIED
    assert metrics_access(authorization="Basic s3cret", **check) is Access.DENIED
    assert metrics_access(authorization="", **check) is Access.DENIED


def test_allow_list_networks_and_addresses():
    check = dict(token="", allow=["10.0.0.0/8", "192.168.1.7", "::1"], authorization="")
    assert metrics_access(remote_addr="10.200.0.1", **check) is Access.ALLOWED
    assert metrics_access(remote_addr="192.168.1.7", **check) is Access.ALLOWED
    assert metrics_access(remote_addr="::1", **check) is Access.ALLOWED
    assert metrics_access(remote_addr="192.168.1.8", **check) is Access.DENIED
    assert metrics_access(remote_addr="not-an-ip", **check) is Access.DENIED


def test_either_token_or_address_suffices():
    check = dict(token="t", allow=["127.0.0.1"])
    assert metrics_access(authorization="", remote_addr="127.0.0.1", **check) is Access.ALLOWED
    assert metrics_access(authorization="Bearer t", remote_addr="8.8.8.8", **check) is Access.ALLOWED
    assert metrics_access(authorization="", remote_addr="8.8.8.8", **check) is Access.DENIED


def test_bad_allow_list_entry_is_named():
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        allow_list_parse(["10.0.0.300"])
