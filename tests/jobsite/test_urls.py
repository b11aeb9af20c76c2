"""The admin's branding: "Jobsite administration" in the header and the browser tab, never Django's."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_admin_index_is_branded(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert '<div id="site-name"><a href="/admin/">Jobsite administration</a></div>' in html
    assert "<title>Site administration | Jobsite administration</title>" in html
    assert "Django administration" not in html and "Django site admin" not in html


@pytest.mark.django_db
def test_login_page_is_branded(client):
    html = client.get(reverse("admin:login")).content.decode()
    assert "<title>Log in | Jobsite administration</title>" in html
    assert ">Jobsite administration</a>" in html and "Django" not in html
