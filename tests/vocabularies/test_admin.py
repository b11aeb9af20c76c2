"""Read-only admin lists with search and filters."""

import pytest

from tests.vocabularies.conftest import ror_sample
from vocabularies.importing import row_hash
from vocabularies.models import Affiliation, Funder
from vocabularies.readers.ror import affiliation_row, funder_row
from vocabularies.targets import AFFILIATIONS, FUNDERS
from vocabularies.upserts import batch_upsert


def _load():
    for target, mapper in ((AFFILIATIONS, affiliation_row), (FUNDERS, funder_row)):
        rows = [row for row in map(mapper, ror_sample()) if row]
        for row in rows:
            row["content_hash"] = row_hash(row)
        batch_upsert(target=target, rows=rows)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "present", "absent"),
    [
        ("/admin/vocabularies/affiliation/?type=funder", "01ahyrz84", "005nqcn81"),
        ("/admin/vocabularies/affiliation/?status__exact=withdrawn", "00e348047", "05qrfxd25"),
        ("/admin/vocabularies/affiliation/?country__exact=AU", "03xsfa755", "00064pn24"),
        ("/admin/vocabularies/affiliation/?q=EpicentRx", "005nqcn81", "01ahyrz84"),
        ("/admin/vocabularies/funder/", "005nqcn81", "00nss6615"),
        ("/admin/vocabularies/name/", "", "05qrfxd25"),
        ("/admin/vocabularies/award/", "", "05qrfxd25"),
    ],
)
def test_lists_filter_and_search(admin_client, url, present, absent):
    _load()
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert present in html and absent not in html


@pytest.mark.django_db
def test_read_only_and_funder_rule_shown(admin_client):
    _load()
    assert admin_client.get("/admin/vocabularies/affiliation/add/").status_code == 403
    funder = Funder.objects.get(ror_id="005nqcn81")
    page = admin_client.get(f"/admin/vocabularies/funder/{funder.pk}/change/").content.decode()
    assert "005nqcn81" in page and "OR it has a Crossref Funder (fundref) id" in page
    assert Affiliation.objects.with_type("funder").filter(ror_id="005nqcn81").count() == 0
