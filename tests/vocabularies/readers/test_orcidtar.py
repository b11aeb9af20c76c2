"""A summaries .tar.gz cut into blocks of whole members: the same records as one reader, in the same order."""

import io
import tarfile

import pytest

from tests.vocabularies import orcid_fixtures as ofx
from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.orcid import MAX_RECORD_BYTES, block_records, orcid_parse, orcid_records
from vocabularies.readers.orcidtar import tar_blocks

IDS = [f"0000-0001-0000-{n:04d}" for n in range(11)]


def _dump(path, *, long_name=False, large=None, tar_format=tarfile.PAX_FORMAT):
    """A .tar.gz with a folder entry, a long member name (pax or GNU headers, or ustar's prefix field) and,
    optionally, one large member."""
    base = ofx.small()
    with tarfile.open(path, "w:gz", format=tar_format, compresslevel=1) as archive:
        folder = tarfile.TarInfo("ORCID_2024_10_summaries")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        for number, orcid_id in enumerate(IDS):
            folder = "x" * 120 if long_name and number == 4 else orcid_id[-3:]
            data = b" " * 200 + ofx.with_id(orcid_id, base) if number == large else ofx.with_id(orcid_id, base)
            info = tarfile.TarInfo(f"ORCID_2024_10_summaries/{folder}/{orcid_id}.xml")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _records(items) -> list:
    return [(i.record_id, i.reason) if isinstance(i, RecordInvalid) else i for i in items]


def _reference(path, limit=MAX_RECORD_BYTES) -> list:
    """What tarfile itself reads from the dump, parsed: the oracle of the member walk."""
    records = []
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".xml"):
                orcid_id = member.name.rsplit("/", 1)[-1].removesuffix(".xml")
                if member.size > limit:
                    records.append((orcid_id, f"{member.size} bytes, more than the record size limit"))
                else:
                    records.append(orcid_parse(archive.extractfile(member).read(), orcid_id))
    return records


@pytest.mark.parametrize("tar_format", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
@pytest.mark.parametrize("records", [1, 3, 100])
def test_blocks_read_as_tarfile_reads(tmp_path, records, tar_format):
    path = _dump(tmp_path / "d.tar.gz", long_name=True, tar_format=tar_format)
    blocks = list(tar_blocks(path, records=records, limit=MAX_RECORD_BYTES))
    assert len(blocks) == -(-len(IDS) // records)
    parsed = [r for block in blocks for r in block_records(block, name=path.name)]
    assert _records(parsed) == _reference(path) and len(parsed) == len(IDS)
    assert _records(orcid_records(path)) == _reference(path)
    assert [r["orcid_id"] for r in parsed] == IDS


def test_a_member_over_the_size_limit_is_refused_without_being_copied(tmp_path):
    path = _dump(tmp_path / "d.tar.gz", large=6)
    size = len(ofx.small()) + 200
    blocks = list(tar_blocks(path, records=4, limit=size - 1))
    refused = (None, f"ORCID_2024_10_summaries/006/{IDS[6]}.xml", f"{size} bytes, more than the record size limit")
    assert refused in blocks[1]
    parsed = [r for block in blocks for r in block_records(block, name=path.name, max_member_bytes=size - 1)]
    assert _records(parsed) == _reference(path, size - 1) == _records(orcid_records(path, max_member_bytes=size - 1))
    assert isinstance(parsed[6], RecordInvalid) and len(parsed) == len(IDS)


@pytest.mark.parametrize("cut", [0.2, 0.67])
def test_a_truncated_dump_fails_with_the_readers_message(tmp_path, cut):
    data = _dump(tmp_path / "d.tar.gz").read_bytes()
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ImportFailed, match="cut.tar.gz: archive is corrupt or truncated"):
        list(tar_blocks(path, records=2, limit=MAX_RECORD_BYTES))
    with pytest.raises(ImportFailed, match="cut.tar.gz: archive is corrupt or truncated"):
        list(orcid_records(path))
