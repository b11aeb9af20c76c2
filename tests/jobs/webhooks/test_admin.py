"""Webhooks in the admin: added from the job page, URL refused with a clear message, deliveries read-only."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from jobs.webhooks.models import Webhook
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db
ADD = reverse("admin:jobs_webhooks_webhook_add")


def test_add_from_the_job_page(su):
    job = JobFactory(title="Hooked")
    page = su.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert f'href="{ADD}?job={job.pk}"' in page
    form = su.get(f"{ADD}?job={job.pk}").content.decode()
    assert f'<option value="{job.pk}" selected>Hooked</option>' in form
    response = su.post(ADD, {"job": job.pk, "url": "https://hooks.example.org/x", "statuses": ["failed", "success"],
                             "active": "on", "secret": "s"})
    assert response.status_code == 302
    webhook = Webhook.objects.get(job=job)
    assert (webhook.url, sorted(webhook.statuses), webhook.secret) == ("https://hooks.example.org/x", ["failed", "success"], "s")
    assert "https://hooks.example.org/x" in su.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()


@pytest.mark.parametrize(
    "url,message",
    [("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
     ("http://169.254.169.254/latest/meta-data", "link-local address"),
     ("ftp://hooks.example.org/x", "only http and https URLs are allowed")],
)
def test_refused_urls_are_form_errors(su, settings, url, message):
    settings.JOBS_WEBHOOK_ALLOW_PRIVATE = False
    job = JobFactory()
    response = su.post(ADD, {"job": job.pk, "url": url, "statuses": ["failed"], "active": "on", "secret": "s"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Webhook.objects.exists()


def test_a_new_webhook_has_a_random_secret():
    job = JobFactory()
    a = Webhook.objects.create(job=job, url="https://hooks.example.org/a")
    b = Webhook.objects.create(job=job, url="https://hooks.example.org/b")
    assert len(a.secret) >= 40 and a.secret != b.secret


def test_job_viewers_see_webhooks_and_deliveries():
    viewers = Group.objects.get(name="Job viewers")
    codenames = set(viewers.permissions.filter(content_type__app_label="jobs_webhooks").values_list("codename", flat=True))
    assert codenames == {"view_webhook", "view_delivery"}
