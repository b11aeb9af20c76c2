"""Reader helpers: tar streaming without a growing member list, prefetching with errors."""

import io
import tarfile

import pytest

from tests.vocabularies.conftest import orcid_targz
from vocabularies.readers.files import Prefetch, tar_stream_members


def test_tar_stream_members_keeps_no_headers(tmp_path):
    path = orcid_targz(tmp_path / "s.tar.gz", {f"0000-0002-1825-{i:04d}": b"<x/>" for i in range(50)})
    seen = 0
    with tarfile.open(path, mode="r|gz") as archive:
        for member in tar_stream_members(archive):
            assert archive.extractfile(member).read() == b"<x/>"
            assert len(archive.members) == 0
            seen += 1
    assert seen == 50


@pytest.mark.parametrize("read_size", [777, 1000, 1500], ids=["smaller", "block", "larger"])
def test_prefetch_returns_the_same_bytes(read_size):
    data = bytes(range(256)) * 10_000 + b"tail"
    with Prefetch(io.BytesIO(data), size=1000) as stream:
        parts = []
        while block := stream.read(read_size):
            parts.append(block)
    assert b"".join(parts) == data and all(len(part) == read_size for part in parts[:-1])


class Broken(io.RawIOBase):
    def __init__(self):
        self.calls = 0

    def read(self, size=-1):
        self.calls += 1
        if self.calls > 2:
            raise EOFError("Compressed file ended before the end-of-stream marker was reached")
        return b"x" * 10


def test_prefetch_raises_the_stream_error_in_the_reader():
    with Prefetch(Broken(), size=10) as stream:
        assert stream.read(20) == b"x" * 20
        with pytest.raises(EOFError, match="end-of-stream"):
            stream.read(10)
