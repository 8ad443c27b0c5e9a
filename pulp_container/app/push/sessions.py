"""Upload sessions in the database: start, find, advance, end, expire.

A session's row says how many bytes of its file count (``offset``); any content app process
can continue it. A session last written more than ``CONTAINER_UPLOAD_EXPIRY`` seconds ago
(default one day) is expired: it answers like an unknown one, and the next sweep removes its
row and file. Sweeps run lazily, on a POST that starts an upload, at most once a minute per
process (``sweep_if_due``).

Every function here is blocking (ORM, files).
"""

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from logging import getLogger
from threading import Lock

from django.conf import settings
from django.db import connection
from django.utils import timezone

from pulp_container.app import errors, process_state
from pulp_container.app.compat import quote_name
from pulp_container.app.models import ContainerPushedBlob, ContainerUploadSession
from pulp_container.app.push import files, hashing

log = getLogger(__name__)

EXPIRY_SETTING = "CONTAINER_UPLOAD_EXPIRY"
DEFAULT_EXPIRY = 24 * 60 * 60
SWEEP_INTERVAL = 60.0


def expiry_seconds():
    return float(getattr(settings, EXPIRY_SETTING, DEFAULT_EXPIRY))


@dataclass(frozen=True)
class Session:
    """What a request needs of an upload session's row."""

    pk: uuid.UUID
    repository_pk: object
    name: str
    offset: int
    file_name: str
    # {algorithm: hex} of the first `offset` bytes, as the request that wrote them recorded.
    digests: dict | None = None


def unknown(session_id):
    return errors.RegistryError(
        errors.BLOB_UPLOAD_UNKNOWN,
        detail={"uuid": str(session_id)},
        message="blob upload unknown to registry (finished, cancelled, expired or never begun)",
    )


def parse_id(text):
    """The session id in a URL, or BLOB_UPLOAD_UNKNOWN for anything that is not one."""
    try:
        return uuid.UUID(text)
    except (ValueError, TypeError):
        raise unknown(text)


def start(target):
    """Start an upload session into `target`'s repository: its row and its empty file."""
    session_id = uuid.uuid4()
    file_name = files.session_file_name(session_id)
    files.create(file_name)
    ContainerUploadSession.objects.create(
        pulp_id=session_id,
        repository_id=target.repository_pk,
        name=target.name,
        offset=0,
        file_name=file_name,
        last_activity=timezone.now(),
    )
    return Session(session_id, target.repository_pk, target.name, 0, file_name)


def find(session_id, target):
    """The live session `session_id` of `target`'s repository.

    Raises:
        RegistryError: BLOB_UPLOAD_UNKNOWN when there is none (an expired one is removed).
    """
    row = (
        ContainerUploadSession.objects.filter(pk=session_id, repository_id=target.repository_pk)
        .values_list(
            "pk", "repository_id", "name", "offset", "file_name", "digests", "last_activity"
        )
        .first()
    )
    if row is None:
        raise unknown(session_id)
    *fields, last_activity = row
    session = Session(*fields)
    if last_activity < timezone.now() - timedelta(seconds=expiry_seconds()):
        end(session)
        raise unknown(session_id)
    return session


def advance(session, received, hexdigests):
    """Record `received` more bytes of `session`, and `hexdigests` ({algorithm: hex}) of all
    its bytes now, unless another request moved it meanwhile.

    Returns:
        The Session as it is now.

    Raises:
        RegistryError: BLOB_UPLOAD_UNKNOWN when the session ended meanwhile.
    """
    offset = session.offset + received
    updated = ContainerUploadSession.objects.filter(pk=session.pk, offset=session.offset).update(
        offset=offset, digests=hexdigests, last_activity=timezone.now()
    )
    if not updated:
        raise unknown(session.pk)
    return Session(
        session.pk, session.repository_pk, session.name, offset, session.file_name, hexdigests
    )


def _delete_row(session_pk, offset=None):
    """Delete a session's row (only while it holds `offset` bytes, when given) in one
    statement; whether it was there. The ORM's ``delete()`` would load the row and look for
    roles on it first (pulpcore's post_delete receivers): six queries, and sessions have no
    roles."""
    meta = ContainerUploadSession._meta
    sql = (
        f"DELETE FROM {quote_name(connection, meta.db_table)} "
        f"WHERE {quote_name(connection, meta.pk.column)} = %s"
    )
    params = [session_pk]
    if offset is not None:
        sql += f" AND {quote_name(connection, meta.get_field('offset').column)} = %s"
        params.append(offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount > 0


def end(session):
    """Remove the session's row and file (finished, cancelled, failed or expired)."""
    _delete_row(session.pk)
    files.remove(session.file_name)
    hashing.running().forget(session.pk)


def claim(session):
    """Take the session for finishing: delete its row, so no other request continues it.

    Returns:
        Whether this request got it (False: another finished or cancelled it first).
    """
    return _delete_row(session.pk, session.offset)


def sweep(now=None):
    """Remove expired sessions (rows and files), files no session owns, and pushed-blob rows
    no manifest took up, all older than the expiry. Returns how many sessions went."""
    now = time.time() if now is None else now
    cutoff = timezone.now() - timedelta(seconds=expiry_seconds())
    expired = list(
        ContainerUploadSession.objects.filter(last_activity__lt=cutoff).values_list(
            "pk", "repository_id", "name", "offset", "file_name"
        )
    )
    for row in expired:
        end(Session(*row))
    ContainerPushedBlob.objects.filter(pulp_last_updated__lt=cutoff).delete()
    live = set(ContainerUploadSession.objects.values_list("file_name", flat=True))
    for file_name in files.stale_files(now - expiry_seconds(), keep=live):
        files.remove(file_name)
    if expired:
        log.info("Removed %d expired upload sessions", len(expired))
    return len(expired)


class _SweepClock:
    """When this process last swept (per-process state, with a reset for tests)."""

    def __init__(self):
        self.last = 0.0
        self.lock = Lock()

    def due(self, now):
        with self.lock:
            if now - self.last < min(SWEEP_INTERVAL, expiry_seconds()):
                return False
            self.last = now
            return True


_clock = _SweepClock()


def sweep_if_due():
    """Sweep when this process has not for a while."""
    now = time.time()
    if _clock.due(now):
        sweep(now)


def reset():
    """Forget when this process last swept (the next upload POST sweeps)."""
    global _clock
    _clock = _SweepClock()


process_state.register("push.sweep_clock", reset)
