"""Vocabulary links: identifier parsing, completing names, lookups in the vocabularies."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from exports.links import Links, fundref_id, identifiers_collect, links_for, ror_id
from tests.exports.conftest import minimal_metadata


def test_identifier_parsing():
    assert ror_id("https://ror.org/05qrfxd25") == ror_id("05QRFXD25") == "05qrfxd25"
    assert ror_id("https://example.org/05qrfxd25") is None and ror_id(None) is None
    assert fundref_id("https://doi.org/10.13039/501100000780") == fundref_id("10.13039/501100000780") == "501100000780"
    assert fundref_id("https://ror.org/05qrfxd25") is None


def _meta():
    meta = minimal_metadata()
    meta["creators"][0]["affiliation"] = [{"affiliationIdentifier": "https://ror.org/05qrfxd25"}, {"name": "Own name", "affiliationIdentifier": "https://ror.org/01ggx4157"}]
    meta["fundingReferences"] = [
        {"funderIdentifier": "https://ror.org/00k4n6c32", "funderIdentifierType": "ROR", "awardNumber": "101"},
        {"funderIdentifier": "https://doi.org/10.13039/100000001", "funderIdentifierType": "Crossref Funder ID"},
    ]
    return meta


def test_collect_and_apply():
    meta = _meta()
    assert identifiers_collect([meta]) == ({"05qrfxd25", "01ggx4157"}, {"00k4n6c32"}, {"100000001"}, {"101"})
    links = Links(affiliations={"05qrfxd25": "SISSA", "01ggx4157": "CERN"}, funders_ror={"00k4n6c32": "European Commission"},
                  funders_fundref={"100000001": "NSF"}, awards={"101": "An award"})
    out = links.apply(meta)
    assert [a["name"] for a in out["creators"][0]["affiliation"]] == ["SISSA", "Own name"]
    assert [(r["funderName"], r.get("awardTitle")) for r in out["fundingReferences"]] == [("European Commission", "An award"), ("NSF", None)]
    assert "name" not in meta["creators"][0]["affiliation"][0]  # input untouched
    plain = minimal_metadata()
    assert Links().apply(plain) is plain  # nothing linked, nothing known: the very same dict


@pytest.mark.django_db
def test_lookups_resolve_names_from_the_vocabularies(django_assert_max_num_queries):
    from vocabularies.models import Affiliation, Award, Funder

    Affiliation.objects.create(ror_id="05qrfxd25", name="SISSA", status="active")
    Funder.objects.create(ror_id="00k4n6c32", name="European Commission", status="active")
    Funder.objects.create(ror_id="021nxhr62", name="National Science Foundation", status="active", fundref_ids=["100000001"])
    Award.objects.create(openaire_id="corda__h2020::1", number="101", title="An award", funder_ror_id="00k4n6c32")
    with django_assert_max_num_queries(4):
        links = links_for([_meta()])
    assert links.affiliations == {"05qrfxd25": "SISSA"}  # 01ggx4157 is not in the vocabulary
    assert links.funders_ror == {"00k4n6c32": "European Commission"}
    assert links.funders_fundref == {"100000001": "National Science Foundation"}
    assert links.awards == {"101": "An award"}
    out = links.apply(_meta())
    assert [a.get("name") for a in out["creators"][0]["affiliation"]] == ["SISSA", "Own name"]
    assert [r["funderName"] for r in out["fundingReferences"]] == ["European Commission", "National Science Foundation"]


@pytest.mark.django_db
def test_run_export_files_tag_renders_nothing_without_files():
    from tests.factories import RunFactory

    request = RequestFactory().get("/")
    request.user = None
    html = Template("{% load exports %}{% run_export_files run %}").render(Context({"run": RunFactory(), "request": request}))
    assert html.strip() == ""
