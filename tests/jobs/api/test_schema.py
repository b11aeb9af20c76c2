"""The OpenAPI schema is valid, and schemathesis fuzzes the live server from it: no 5xx, answers match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jobs.api.tokens import token_create
from jobs.models import Run
from tests.factories import JobFactory, RunFactory, UserFactory, log_lines_add

CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# The live follow streams until its run ends; it has its own tests (test_logs.py).
FUZZ_EXCLUDED = "/api/v1/runs/{id}/logs/follow/"


def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.django_db
def test_schema_is_valid_openapi_and_served():
    schema = openapi()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.1")
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    served = Client().get("/api/v1/schema/?format=json")
    assert served.status_code == 200 and served.json()["paths"].keys() == schema["paths"].keys()


@pytest.mark.django_db
def test_swagger_ui_is_for_logged_in_staff(viewer):
    anonymous = Client().get("/api/v1/docs/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    staff = Client()
    staff.force_login(viewer)
    page = staff.get("/api/v1/docs/")
    assert page.status_code == 200 and b"swagger-ui" in page.content


@pytest.fixture
def fuzz_target(live_server, django_db_blocker):
    """A superuser's token and a little of everything for the generated requests to find."""
    with django_db_blocker.unblock():
        user = UserFactory(username="fuzz", is_staff=True, is_superuser=True)
        _, secret = token_create(user=user, name="schemathesis")
        for job in (JobFactory(task_type="test_echo"), JobFactory(task_type="test_fields", default_args={"text": "x"})):
            done = RunFactory(job=job, status=Run.Status.SUCCESS, counters={"created": 1}, errors=[{"id": "a"}])
            log_lines_add(done, 5)
            RunFactory(job=job, status=Run.Status.QUEUED)
    return {"base_url": f"{live_server.url}", "headers": {"Authorization": f"Bearer {secret}"}}


# Built at import (drf-spectacular reads no database). Not ``schemathesis.pytest.from_fixture``:
# under pytest 9 it fails with "'Function' object has no attribute '_nodeid'" (schemathesis 4.32.5).
# One test walks every operation, so the live server's database is filled (and flushed) once.
schema = schemathesis.openapi.from_dict(openapi()).exclude(path=FUZZ_EXCLUDED)
EXAMPLES = 6


@pytest.mark.django_db(transaction=True)
def test_fuzzed_requests_get_no_5xx_and_answers_match_the_schema(fuzz_target):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(base_url=fuzz_target["base_url"], headers=fuzz_target["headers"], checks=CHECKS)

        check()
