"""A summaries .tar.gz cut into blocks of whole members: the same records as one reader, in the same order."""

import io
import tarfile

import pytest

from tests.vocabularies import orcid_fixtures as ofx
from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.orcid import orcid_records
from vocabularies.readers.orcidtar import block_records, tar_blocks

IDS = [f"0000-0001-0000-{n:04d}" for n in range(11)]


def _dump(path, *, long_name=False, large=None):
    """A .tar.gz with a folder entry, pax headers (a long member name) and, optionally, one large member."""
    base = ofx.small()
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT, compresslevel=1) as archive:
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


@pytest.mark.parametrize("records", [1, 3, 100])
def test_blocks_read_as_one_reader_reads(tmp_path, records):
    path = _dump(tmp_path / "d.tar.gz", long_name=True)
    blocks = list(tar_blocks(path, records=records))
    assert len(blocks) == -(-len(IDS) // records)
    parsed = [r for block in blocks for r in block_records(block, name=path.name)]
    assert _records(parsed) == _records(orcid_records(path)) and len(parsed) == len(IDS)
    assert [r["orcid_id"] for r in parsed] == IDS


def test_a_member_over_the_size_limit_is_refused_without_being_copied(tmp_path):
    path = _dump(tmp_path / "d.tar.gz", large=6)
    size = len(ofx.small()) + 200
    blocks = list(tar_blocks(path, records=4, max_member_bytes=size - 1))
    assert (None, IDS[6], f"{size} bytes, more than the record size limit") in blocks[1]
    parsed = [r for block in blocks for r in block_records(block, name=path.name, max_member_bytes=size - 1)]
    assert _records(parsed) == _records(orcid_records(path, max_member_bytes=size - 1))
    assert isinstance(parsed[6], RecordInvalid) and len(parsed) == len(IDS)


@pytest.mark.parametrize("cut", [0.2, 0.67])
def test_a_truncated_dump_fails_with_the_readers_message(tmp_path, cut):
    data = _dump(tmp_path / "d.tar.gz").read_bytes()
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ImportFailed, match="cut.tar.gz: archive is corrupt or truncated"):
        list(tar_blocks(path, records=2))
    with pytest.raises(ImportFailed, match="cut.tar.gz: archive is corrupt or truncated"):
        list(orcid_records(path))
