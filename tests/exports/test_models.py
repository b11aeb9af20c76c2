"""Record: metadata validated on save, DOI normalised, columns copied for the admin."""

import pytest
from django.core.exceptions import ValidationError

from exports.models import Record
from tests.exports.conftest import minimal_metadata

pytestmark = pytest.mark.django_db


def test_save_normalises_doi_and_copies_columns():
    record = Record(doi=" https://doi.org/10.82433/ABC-Def ", metadata=minimal_metadata(title="Größe", doi="10.82433/abc-def"))
    record.save()
    record.refresh_from_db()
    assert record.doi == "10.82433/abc-def"
    assert record.title == "Größe" and record.publication_year == 2024 and record.resource_type_general == "Dataset"
    assert "doi" not in record.metadata


def test_invalid_metadata_is_refused_with_field_paths():
    meta = minimal_metadata()
    meta["creators"] = [{"nameType": "Robot"}]
    meta["publicationYear"] = "20x4"
    meta["fundingReferences"] = [{"awardNumber": "1"}]
    meta["colour"] = "blue"
    with pytest.raises(ValidationError) as info:
        Record(doi="10.82433/x", metadata=meta).save()
    errors = info.value.message_dict["metadata"]
    assert "creators[0].name: Missing data for required field." in errors
    assert "creators[0].nameType: Must be one of: Organizational, Personal." in errors
    assert "publicationYear: Must be a four-digit year." in errors
    assert "fundingReferences[0].funderName: Give a funderName or a funderIdentifier (ROR or Crossref Funder ID)." in errors
    assert "colour: Unknown field." in errors
    assert not Record.objects.exists()


def test_bad_doi_and_control_characters_are_refused():
    with pytest.raises(ValidationError) as info:
        Record(doi="not-a-doi", metadata=minimal_metadata(title="bell\x07")).save()
    assert info.value.message_dict["doi"] == ["Enter a DOI like 10.1234/abc-def."]
    assert info.value.message_dict["metadata"] == ["titles[0].title: Contains a control character that XML cannot carry."]


def test_updated_moves_on_every_save():
    record = Record(doi="10.82433/t", metadata=minimal_metadata())
    record.save()
    first = record.updated
    record.deleted = True
    record.save()
    assert record.updated > first and record.created <= first
