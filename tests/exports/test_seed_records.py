"""`manage.py seed_records` creates varied, valid records and is idempotent."""

import pytest
from django.core.management import call_command

from exports.models import Record


@pytest.mark.django_db
def test_seed_records_is_idempotent_and_varied():
    call_command("seed_records", count=40)
    call_command("seed_records", count=40)
    assert Record.objects.count() == 40
    assert Record.objects.filter(deleted=True).count() == 2
    assert Record.objects.values("resource_type_general").distinct().count() > 10
