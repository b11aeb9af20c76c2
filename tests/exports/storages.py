"""Storage backends for the tests: a remote-like one (no local paths) and one whose disk fills up."""

import datetime as dt
import errno
import os

from django.core.files import File
from django.core.files.storage import FileSystemStorage


class RemoteLikeStorage(FileSystemStorage):
    """Behaves like an object store: no ``path()``, so publishing must copy then delete."""

    def _local(self, name):
        return super().path(name)

    def path(self, name):
        raise NotImplementedError("This backend doesn't support absolute paths.")

    def _save(self, name, content):
        full = self._local(name)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fh:
            for chunk in content.chunks():
                fh.write(chunk)
        return name

    def _open(self, name, mode="rb"):
        return File(open(self._local(name), mode))

    def exists(self, name):
        return os.path.lexists(self._local(name))

    def delete(self, name):
        if self.exists(name):
            os.remove(self._local(name))

    def listdir(self, path):
        entries = list(os.scandir(self._local(path)))
        return [e.name for e in entries if e.is_dir()], [e.name for e in entries if not e.is_dir()]

    def get_modified_time(self, name):
        return dt.datetime.fromtimestamp(os.path.getmtime(self._local(name)), tz=dt.UTC)


class DiskFullStorage(FileSystemStorage):
    """Writes the first bytes of every file, then fails as a full disk would."""

    def _save(self, name, content):
        full = self.path(name)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fh:
            fh.write(next(iter(content.chunks()))[:100])
        raise OSError(errno.ENOSPC, "No space left on device")
