"""ORCID reader: record 3.0 and the 2.x layout, archive and folder, deactivation, hostile XML."""

import pytest

from tests.vocabularies import orcid_fixtures as fx
from tests.vocabularies.conftest import orcid_targz
from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import DELETE
from vocabularies.readers.orcid import _head, _slim, name_row, orcid_parse, orcid_records


def test_real_record_3_0():
    row = name_row(orcid_parse(fx.real(), "real"))
    assert row["orcid_id"] == fx.REAL_ID
    assert (row["given_names"], row["family_name"]) == ("Tom", "Demeranville")
    assert row["credit_name"] == "Tom 'Amazing' Demeranville"
    assert row["other_names"] == ["The guy from ORCID with the colourful shirt"]
    # 4 employments of which 1 is current (no end date), with a GRID id.
    assert len(row["employments"]) == 1
    assert row["employments"][0]["grid"] == "grid.455335.1"
    assert row["employments"][0]["organisation"]
    assert row["last_modified"].isoformat().startswith("2021-07-20T12:15:44.981")


def test_2x_layout_reads_the_same():
    assert name_row(orcid_parse(fx.layout_2x(), "2x")) == name_row(orcid_parse(fx.real(), "3"))


def test_missing_family_name_is_kept_empty():
    row = name_row(orcid_parse(fx.without_family_name(), "x"))
    assert row["family_name"] == "" and row["given_names"] == "Tom"


def test_deactivated_record_is_a_deletion():
    assert name_row(orcid_parse(fx.deactivated("0000-0002-1825-0097"), "x")) == {
        "orcid_id": "0000-0002-1825-0097", DELETE: True,
    }


@pytest.mark.parametrize("xml", [fx.BOMB, fx.EXTERNAL], ids=["entity-bomb", "external-entity"])
def test_hostile_doctype_is_refused(xml):
    with pytest.raises(RecordInvalid, match="DOCTYPE declaring entities is refused|entity amplification"):
        orcid_parse(xml, "hostile")


def test_targz_layout_and_errored_member(tmp_path):
    path = orcid_targz(tmp_path / "ORCID_2024_10_summaries.tar.gz", {
        "0000-0002-1825-0097": fx.with_id("0000-0002-1825-0097"),
        "0000-0001-5109-3700": fx.BOMB,
        fx.REAL_ID: fx.real(),
    })
    items = list(orcid_records(path))
    assert items[0]["orcid_id"] == "0000-0002-1825-0097"
    assert isinstance(items[1], RecordInvalid) and items[1].record_id == "0000-0001-5109-3700"
    assert items[2]["orcid_id"] == fx.REAL_ID


def test_folder_of_xml_files(tmp_path):
    folder = tmp_path / "summaries" / "097"
    folder.mkdir(parents=True)
    (folder / "0000-0002-1825-0097.xml").write_bytes(fx.with_id("0000-0002-1825-0097"))
    (folder / "notes.txt").write_text("ignored")
    assert [r["orcid_id"] for r in orcid_records(tmp_path / "summaries")] == ["0000-0002-1825-0097"]


def test_truncated_targz_fails(tmp_path):
    path = orcid_targz(tmp_path / "s.tar.gz", {f"0000-0002-1825-{i:04d}": fx.with_id(f"0000-0002-1825-{i:04d}") for i in range(20)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFailed, match="corrupt or truncated"):
        list(orcid_records(path))


def test_wrong_file_type_fails(tmp_path):
    path = tmp_path / "s.tar.gz"
    path.write_bytes(b"PK\x03\x04 a zip")
    with pytest.raises(ImportFailed, match="not an ORCID summaries"):
        list(orcid_records(path))


def test_head_shortcut_gives_the_same_result_as_a_full_parse():
    real = fx.real()
    assert len(_head(real)) < len(real) // 10  # works etc. are not parsed
    renamed = real.replace(b"activities:", b"act:").replace(b"xmlns:activities=", b"xmlns:act=")
    assert _head(renamed) is None
    assert orcid_parse(renamed, "full") == orcid_parse(real, "head")


def test_head_shortcut_falls_back_when_the_cut_does_not_parse():
    real = fx.real()
    tricky = real.replace(b"<common:orcid-identifier>", b"<!-- </activities:employments> --><common:orcid-identifier>", 1)
    assert _head(tricky) is not None
    assert orcid_parse(tricky, "x") == orcid_parse(real, "x")


def _sample_records() -> dict[str, bytes]:
    samples = {path.name: path.read_bytes() for path in sorted((fx.ORCID_RECORD.parent.parent).glob("*/*.xml"))}
    samples.update({"2x": fx.layout_2x(), "deactivated": fx.deactivated(fx.REAL_ID), "no-family": fx.without_family_name()})
    return samples


def _full_parse(data: bytes, name: str) -> dict:
    from lxml import etree

    from vocabularies.readers import orcid

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    return orcid._record(root)


@pytest.mark.parametrize("name", sorted(_sample_records()))
def test_slim_and_head_shortcuts_read_what_a_full_parse_reads(name):
    data = _sample_records()[name]
    assert orcid_parse(data, name) == _full_parse(data, name)


def test_slim_shortcut_keeps_only_the_elements_read():
    real = fx.real()
    slim = _slim(real)
    assert slim is not None and len(slim) < len(_head(real)) and b"work:work-summary" not in slim
    assert orcid_parse(real, "x")["employments"] and orcid_parse(real, "x")["given_names"]


@pytest.mark.parametrize("change", [
    lambda xml: xml.replace(b"<common:orcid-identifier>", b"<!-- <person:person> --><common:orcid-identifier>", 1),
    lambda xml: xml.replace(b"<person:person ", b"<p:person xmlns:p='http://www.orcid.org/ns/person' ", 1).replace(
        b"</person:person>", b"</p:person>", 1),
])
def test_slim_shortcut_is_not_used_for_unusual_documents(change):
    changed = change(fx.real())
    assert _slim(changed) is None
    assert orcid_parse(changed, "x") == orcid_parse(fx.real(), "x")


def test_value_with_entities_and_only_blanks():
    xml = fx.real().replace(b"<common:name>ORCID</common:name>", b"<common:name>A &amp; B &#233;</common:name>", 1)
    xml = xml.replace(b"<common:role-title>Director of Product</common:role-title>", b"<common:role-title>  </common:role-title>")
    employments = orcid_parse(xml, "x")["employments"]
    assert "A & B \u00e9" in [e["organisation"] for e in employments]
    assert employments == _full_parse(xml, "x")["employments"]
