"""Push bookkeeping: blob upload sessions, and blobs pushed into a repository ahead of a manifest.

An upload session is a row (who it belongs to, how many bytes it holds) and a file in the
upload directory (``push/files.py``); the row is what lets any content app process continue
it. A pushed blob is a blob a client uploaded or mounted into a push repository that no
version of it holds yet: a manifest PUT may reference it (``push/`` manifests code reads these
rows), and expiry removes the rows no manifest took up (``push/expiry.py``).
"""

from django.db import models
from pulpcore.plugin.models import BaseModel
from pulpcore.plugin.util import get_domain_pk

from .content import Blob
from .repositories import ContainerPushRepository


class ContainerUploadSession(BaseModel):
    """One blob upload in progress (``/v2/<name>/blobs/uploads/<pulp_id>``).

    The session's bytes are its file, ``offset`` bytes long as far as the session knows: a
    write cut before it finished may have left more, which the next write cuts off. The running
    hash of those bytes is kept in the memory of the process that wrote them, and its final
    values in ``digests``: a PUT without a body needs only those, wherever it lands. Another
    process that gets a further chunk rebuilds the running hash by reading the file once
    (``push/hashing.py``).
    """

    repository = models.ForeignKey(ContainerPushRepository, on_delete=models.CASCADE)
    name = models.TextField(help_text="The repository name the upload was started under.")
    offset = models.BigIntegerField(default=0, help_text="Bytes received so far.")
    file_name = models.TextField(help_text="The session's file, inside the upload directory.")
    last_activity = models.DateTimeField(db_index=True)
    digests = models.JSONField(
        null=True, help_text="{algorithm: hex digest} of the first `offset` bytes."
    )
    pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.CASCADE)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"


class ContainerPushedBlob(BaseModel):
    """A blob pushed (uploaded or mounted) into a push repository, not yet in a version of it."""

    repository = models.ForeignKey(ContainerPushRepository, on_delete=models.CASCADE)
    blob = models.ForeignKey(Blob, on_delete=models.CASCADE)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("repository", "blob")
