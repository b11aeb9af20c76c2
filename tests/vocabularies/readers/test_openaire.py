"""OpenAIRE reader: the three key spellings, archive layout and bad input."""

import gzip
import json
import os
import tarfile

import pytest

from tests.vocabularies import openaire_fixtures as fx
from tests.vocabularies.conftest import openaire_tar, tar_add
from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.openaire import award_row, openaire_projects


def test_reads_every_member_and_line(tmp_path):
    path = openaire_tar(tmp_path / "project.tar", [[fx.V7_H2020, fx.V8_NSF], [fx.V9_FWF]])
    assert [r["id"] for r in openaire_projects(path)] == [fx.V7_H2020["id"], fx.V8_NSF["id"], fx.V9_FWF["id"]]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (fx.V7_H2020, {"number": "777541", "acronym": "OpenAIRE-Advance", "funder_ror_id": "00k4n6c32",
                       "programme": "H2020", "funding_stream": "EC::H2020::RIA", "url": "https://www.openaire.eu/advance/"}),
        (fx.V8_NSF, {"number": "0751743", "acronym": "", "funder_ror_id": "021nxhr62", "programme": "GEO/OAD"}),
        (fx.V9_FWF, {"number": "Y 1067", "funder_ror_id": "013tf3c58", "programme": "FWF START Award"}),
        (fx.NO_TITLE, {"title": "", "funder_ror_id": "00snfqn58", "programme": ""}),
        (fx.UNKNOWN_FUNDER, {"funder_ror_id": ""}),
    ],
)
def test_award_row_accepts_all_spellings(record, expected):
    row = award_row(record)
    assert {k: row[k] for k in expected} == expected
    assert row["openaire_id"] == record["id"]


def test_dates_in_every_spelling():
    assert str(award_row(fx.V7_H2020)["start_date"]) == "2018-01-01"
    assert str(award_row(fx.V8_NSF)["end_date"]) == "2011-03-31"
    assert str(award_row(fx.V9_FWF)["end_date"]) == "2024-02-29"


def test_delta_prefix_is_stripped():
    assert award_row({**fx.V9_FWF, "id": "40|" + fx.V9_FWF["id"]})["openaire_id"] == fx.V9_FWF["id"]


def test_missing_id_is_invalid():
    with pytest.raises(RecordInvalid, match="missing or malformed OpenAIRE id"):
        award_row({k: v for k, v in fx.V9_FWF.items() if k != "id"})


def test_bad_line_is_an_errored_entry_and_reading_goes_on(tmp_path):
    path = openaire_tar(tmp_path / "project.tar", [[fx.V7_H2020, b'{"id": "broken', fx.V9_FWF]])
    items = list(openaire_projects(path))
    assert isinstance(items[1], RecordInvalid) and "invalid JSON line" in items[1].reason
    assert items[2]["id"] == fx.V9_FWF["id"]


def test_truncated_gzip_member_fails(tmp_path):
    body = gzip.compress(b"".join(json.dumps(fx.V7_H2020).encode() + b"\n" for _ in range(200)))
    path = tmp_path / "project.tar"
    with tarfile.open(path, "w") as archive:
        tar_add(archive, "project/part-00000-x.json.gz", body[: len(body) // 2])
    with pytest.raises(ImportFailed, match="corrupt or truncated"):
        list(openaire_projects(path))


def test_truncated_tar_fails(tmp_path):
    lines = [{**fx.V7_H2020, "title": os.urandom(64).hex()} for _ in range(500)]
    path = openaire_tar(tmp_path / "project.tar", [lines])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFailed, match="corrupt or truncated"):
        list(openaire_projects(path))


def test_wrong_file_type_fails(tmp_path):
    path = tmp_path / "project.tar"
    path.write_bytes(gzip.compress(b"{}"))
    with pytest.raises(ImportFailed, match="not an OpenAIRE project.tar"):
        list(openaire_projects(path))


def test_member_over_limit_fails(tmp_path):
    path = openaire_tar(tmp_path / "project.tar", [[fx.V7_H2020] * 50])
    with pytest.raises(ImportFailed, match="VOCABULARIES_MAX_MEMBER_BYTES"):
        list(openaire_projects(path, max_member_bytes=10))


def test_invalid_fields_are_named_not_quoted():
    with pytest.raises(RecordInvalid, match="field 'id'") as invalid:
        award_row({**fx.V9_FWF, "id": "INTERNAL-SECRET-TOKEN-abc123"})
    assert "SECRET" not in invalid.value.reason
