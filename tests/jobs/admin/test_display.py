"""Small fragments of the admin pages: "ago" and the job type's badge."""

import datetime as dt

from django.utils import timezone

from jobs.admin.display import ago, type_badge


def test_ago_says_just_now_under_a_minute():
    now = timezone.now()
    assert ago(now - dt.timedelta(seconds=5), now=now) == "just now"
    assert ago(now - dt.timedelta(seconds=59), now=now) == "just now"
    assert ago(now - dt.timedelta(minutes=3, seconds=10), now=now) == "3\xa0minutes ago"
    assert ago(None) == "-"


def test_a_type_is_shown_by_its_id_with_its_title_on_hover():
    assert str(type_badge("ror_affiliations", "Import ROR affiliations")) == (
        '<code class="jobs-type" title="Import ROR affiliations">ror_affiliations</code>'
    )
