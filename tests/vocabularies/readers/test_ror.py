"""ROR reader: member choice for every release era, bad input, and the record mappings."""

import datetime as dt
import json
import zipfile

import pytest

from tests.vocabularies.conftest import ror_sample, ror_zip, v1_records
from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.ror import affiliation_row, funder_row, ror_records, zip_member_select


def _ids(path, **kw):
    return [r["id"].rsplit("/", 1)[-1] for r in ror_records(path, **kw)]


@pytest.mark.parametrize("era", ["v2", "legacy4"])
def test_reads_schema_v2_records_of_every_era(tmp_path, era):
    records = ror_sample()
    path = ror_zip(tmp_path / "dump.zip", records, era=era)
    assert _ids(path) == [r["id"].rsplit("/", 1)[-1] for r in records]


def test_member_choice_rule():
    assert zip_member_select(["v1.50-2024-07-29-ror-data.json", "v1.50-2024-07-29-ror-data_schema_v2.json",
                              "v1.50-2024-07-29-ror-data.csv"]) == "v1.50-2024-07-29-ror-data_schema_v2.json"
    assert zip_member_select(["v2.9-2026-06-23-ror-data.json", "v2.9-2026-06-23-ror-data.csv"]) == "v2.9-2026-06-23-ror-data.json"
    assert zip_member_select(["2021-09-23-ror-data.json"]) == "2021-09-23-ror-data.json"
    with pytest.raises(ImportFailed, match="not a ROR release zip"):
        zip_member_select(["readme.txt"])


def test_v1_only_dump_fails_with_message(tmp_path):
    path = ror_zip(tmp_path / "old.zip", v1_records(ror_sample()), era="v1only", release="v1.20-2023-02-28")
    with pytest.raises(ImportFailed, match="only schema v1 records"):
        list(ror_records(path))


def test_truncated_zip_fails(tmp_path):
    path = ror_zip(tmp_path / "dump.zip", ror_sample())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFailed, match="not a readable zip"):
        list(ror_records(path))


def test_invalid_json_in_the_middle_fails_after_the_good_records(tmp_path):
    text = json.dumps(ror_sample(), indent=4)
    cut = text.index('"id": "https://ror.org/005nqcn81"')
    broken = (text[:cut] + '"id": "https://ror.org/005nqcn81", ][' + text[cut + 40 :]).encode()
    path = ror_zip(tmp_path / "dump.zip", broken)
    seen = []
    with pytest.raises(ImportFailed, match="invalid or truncated JSON after record 4"):
        for record in ror_records(path):
            seen.append(record["id"])
    assert len(seen) == 4


def test_member_declared_size_over_limit_fails(tmp_path):
    path = ror_zip(tmp_path / "dump.zip", ror_sample())
    with pytest.raises(ImportFailed, match="VOCABULARIES_MAX_MEMBER_BYTES"):
        list(ror_records(path, max_member_bytes=1000))


def test_wrong_file_type_fails(tmp_path):
    path = tmp_path / "dump.zip"
    path.write_bytes(b"%PDF-1.7 not a dump")
    with pytest.raises(ImportFailed, match="not a ROR dump"):
        list(ror_records(path))


def test_zip_without_ror_member_fails(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data.json", "[]")
    with pytest.raises(ImportFailed, match="not a ROR release zip"):
        list(ror_records(path))


def test_progress_reports_bytes(tmp_path):
    path = ror_zip(tmp_path / "dump.zip", ror_sample())
    calls = []
    list(ror_records(path, progress=lambda done, total: calls.append((done, total))))
    assert calls[-1] == (path.stat().st_size, path.stat().st_size)


def _by_id(ror_id):
    return next(r for r in ror_sample() if r["id"].endswith(ror_id))


def test_affiliation_row_of_real_records():
    row = affiliation_row(_by_id("00064pn24"))
    assert row["ror_id"] == "00064pn24"
    assert row["country"] == "JP"
    assert "ja" in row["labels"]
    assert row["status"] == "active"
    assert row["fundref_ids"]
    assert isinstance(row["last_modified"], dt.date)
    withdrawn = affiliation_row(_by_id("00e348047"))
    assert withdrawn["status"] == "withdrawn" and len(withdrawn["successor"]) == 9
    two_places = affiliation_row(_by_id("03xsfa755"))
    assert two_places["country"] == "AU"


def test_funder_rule_on_records_named_in_formats():
    fundref_not_typed = funder_row(_by_id("005nqcn81"))
    assert fundref_not_typed["ror_id"] == "005nqcn81" and fundref_not_typed["fundref_ids"] == ["100019777"]
    typed_without_fundref = funder_row(_by_id("01ahyrz84"))
    assert typed_without_fundref["ror_id"] == "01ahyrz84" and typed_without_fundref["fundref_ids"] == []
    assert funder_row(_by_id("04mgnp447")) is not None
    neither = [r for r in ror_sample() if "funder" not in r["types"]
               and not any(e["type"] == "fundref" for e in r.get("external_ids", []))]
    assert neither and all(funder_row(r) is None for r in neither)


def test_record_missing_id_is_invalid():
    record = _by_id("05qrfxd25")
    del record["id"]
    with pytest.raises(RecordInvalid, match="missing or malformed ROR id"):
        affiliation_row(record)


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", "INTERNAL-SECRET-TOKEN-abc123"), ("status", "INTERNAL-SECRET-TOKEN-abc123")],
)
def test_invalid_fields_are_named_not_quoted(field, value):
    record = {**_by_id("05qrfxd25"), field: value}
    with pytest.raises(RecordInvalid, match=f"field '{field}'") as invalid:
        affiliation_row(record)
    assert "SECRET" not in invalid.value.reason
