"""The one check of an import source, and reading documents from folders and archives."""

import io
import tarfile

import pytest

from exports.sources import SourceInvalid, local_documents, local_path_resolve, source_check


def test_local_path_rule(import_dir, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "outside.xml"
    (import_dir / "sub").mkdir()
    (import_dir / "sub" / "a.xml").write_text("<x/>")
    outside.write_text("<x/>")
    (import_dir / "escape.xml").symlink_to(outside)
    assert local_path_resolve("sub/a.xml") == (import_dir / "sub" / "a.xml").resolve()
    assert local_path_resolve(str(import_dir / "sub" / "a.xml")) == (import_dir / "sub" / "a.xml").resolve()
    for bad, message in [
        ("../outside.xml", "'..' is not allowed"),
        ("sub/../../outside.xml", "'..' is not allowed"),
        (str(outside), "is not below the import folder"),
        ("/etc/passwd", "is not below the import folder"),
        ("escape.xml", "is not below the import folder"),
        ("nonexistent.zip", "does not exist in the import folder"),
    ]:
        with pytest.raises(SourceInvalid, match=message):
            local_path_resolve(bad)


def test_source_kinds(import_dir, settings):
    settings.EXPORTS_IMPORT_API_HOSTS = ["api.datacite.org"]
    (import_dir / "one.xml").write_text("<x/>")
    (import_dir / "dump.tar.gz").write_bytes(b"")
    (import_dir / "notes.txt").write_text("")
    (import_dir / "folder").mkdir()
    assert source_check("one.xml").kind == "file"
    assert source_check("dump.tar.gz").kind == "archive"
    assert source_check("folder").kind == "folder"
    assert source_check("https://api.datacite.org/dois?client-id=cern.zenodo").kind == "api"
    assert source_check("https://api.datacite.org/dois?prefix=10.5281").kind == "api"
    for bad, message in [
        ("", "Give a path"),
        ("notes.txt", "not a .xml, .json, .tar.gz or folder"),
        ("ftp://api.datacite.org/dois?prefix=10.5281", "Scheme 'ftp' is not allowed"),
        ("file:///etc/passwd", "Scheme 'file' is not allowed"),
        ("https://example.org/dois?prefix=10.5281", "not a DataCite REST API host allowed here"),
        ("https://api.datacite.org/dois", "client-id=ID"),
        ("https://api.datacite.org/clients?prefix=10.5281", "client-id=ID"),
    ]:
        with pytest.raises(SourceInvalid, match=message):
            source_check(bad)


def _tar_gz(path, members: dict):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_archive_documents_skip_the_manifest(import_dir):
    _tar_gz(import_dir / "export.tar.gz", {
        "records/10.1%2Fa.xml": b"<a/>", "records/10.1%2Fb.json": b"{}", "manifest.json": b"{}",
        "deleted.txt": b"10.1/c\n", "README": b"x",
    })
    seen = []
    docs = list(local_documents(source_check("export.tar.gz"), progress=lambda done, total: seen.append((done, total))))
    assert [name for name, _ in docs] == ["records/10.1%2Fa.xml", "records/10.1%2Fb.json", "deleted.txt"]
    assert seen and seen[-1][1] == (import_dir / "export.tar.gz").stat().st_size


def test_folder_documents_in_name_order(import_dir, settings):
    (import_dir / "f" / "z").mkdir(parents=True)
    (import_dir / "f" / "z" / "1.xml").write_bytes(b"<one/>")
    (import_dir / "f" / "0.json").write_bytes(b"{}")
    (import_dir / "f" / "skip.txt").write_bytes(b"")
    assert [name for name, _ in local_documents(source_check("f"))] == ["0.json", "z/1.xml"]
    settings.EXPORTS_IMPORT_MAX_DOCUMENT_BYTES = 3
    with pytest.raises(Exception, match="larger than EXPORTS_IMPORT_MAX_DOCUMENT_BYTES"):
        list(local_documents(source_check("f")))
