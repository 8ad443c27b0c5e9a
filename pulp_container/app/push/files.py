"""The upload directory: the files of upload sessions and of monolithic uploads in progress.

``CONTAINER_UPLOAD_DIRECTORY`` (default ``<WORKING_DIRECTORY>/container-uploads``). Under
pulpcore's WORKING_DIRECTORY, finishing an upload moves its file into artifact storage (a
rename on one filesystem: no copy, no second read); elsewhere pulpcore copies it. Content app
processes on several hosts need the directory on a filesystem they share.

Every function here is blocking; handlers call them in a thread.
"""

import fcntl
import os
import uuid
from pathlib import Path

from django.conf import settings

from pulp_container.app import process_state

DIRECTORY_SETTING = "CONTAINER_UPLOAD_DIRECTORY"
_SUBDIRECTORY = "container-uploads"
_MONOLITHIC_PREFIX = "monolithic-"
_made = set()  # upload directories this process made sure exist (no mkdir per request)
process_state.register("push.upload_directories", _made.clear)


class UploadBusy(Exception):
    """Another request is writing to the same upload right now."""


def directory():
    """The upload directory (created if missing)."""
    configured = getattr(settings, DIRECTORY_SETTING, None)
    path = Path(configured) if configured else Path(settings.WORKING_DIRECTORY) / _SUBDIRECTORY
    if path not in _made:
        path.mkdir(parents=True, exist_ok=True)
        _made.add(path)
    return path


def session_file_name(session_id):
    return str(session_id)


def monolithic_file_name():
    return f"{_MONOLITHIC_PREFIX}{uuid.uuid4()}"


def path_of(file_name):
    return directory() / file_name


def create(file_name):
    """Create the empty file `file_name` (a new session's)."""
    path = path_of(file_name)
    try:
        path.touch()
    except FileNotFoundError:  # the directory was removed since this process made it
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def remove(file_name):
    """Remove `file_name` if it is still there."""
    try:
        path_of(file_name).unlink()
    except FileNotFoundError:
        pass


class Writer:
    """Appends to an upload's file from `offset` on, holding an exclusive lock on it.

    Bytes past `offset` (a write cut earlier) are cut off first. The lock (``flock``) is the
    kernel's: it goes away with the process if it dies, and another request writing to the
    same session meanwhile gets UploadBusy instead of interleaving its bytes.

    Raises:
        UploadBusy: another request holds the lock.
        FileNotFoundError: the file is gone (the session expired or was cancelled).
    """

    def __init__(self, file_name, offset):
        self.path = path_of(file_name)
        self._file = open(self.path, "r+b")  # noqa: SIM115 -- closed by close()
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise UploadBusy(file_name)
        self._file.truncate(offset)
        self._file.seek(offset)

    def write(self, data, digests):
        """Write `data` and feed it to `digests`."""
        self._file.write(data)
        digests.update(data)

    def close(self):
        """Flush and unlock."""
        try:
            self._file.flush()
        finally:
            self._file.close()


def stale_files(older_than, keep):
    """Files of the upload directory last written before `older_than` (epoch seconds) whose
    names are not in `keep`."""
    found = []
    for entry in os.scandir(directory()):
        if entry.name in keep or not entry.is_file():
            continue
        try:
            if entry.stat().st_mtime < older_than:
                found.append(entry.name)
        except FileNotFoundError:
            continue
    return found
