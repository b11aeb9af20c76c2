"""Where a webhook may point: the pure address rule."""

import pytest

from jobs.webhooks.guard import address_refusal, url_refusal


@pytest.mark.parametrize(
    "address,kind",
    [("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.5", "private"),
     ("172.16.0.1", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
     ("::ffff:127.0.0.1", "loopback"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
     ("100.64.0.1", "not a public")],
)
def test_non_public_addresses_are_refused(address, kind):
    assert kind in address_refusal(address, allow_private=False)
    assert address_refusal(address, allow_private=True) is None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address):
    assert address_refusal(address, allow_private=False) is None


def test_url_rules():
    public = ["93.184.215.14"]
    assert url_refusal("https://hooks.example.org/x", public, allow_private=False) is None
    assert "only http and https" in url_refusal("ftp://hooks.example.org/x", public, allow_private=False)
    assert "only http and https" in url_refusal("file:///etc/passwd", public, allow_private=False)
    assert "does not resolve" in url_refusal("https://nowhere.invalid/", [], allow_private=False)
    assert url_refusal("https://nowhere.invalid/", [], allow_private=False, unresolved_ok=True) is None
    # One private address among several is enough to refuse (DNS may answer either).
    assert "private" in url_refusal("https://mixed.example.org/", [*public, "10.0.0.1"], allow_private=False)
    assert url_refusal("http://127.0.0.1:8080/hook", ["127.0.0.1"], allow_private=True) is None
