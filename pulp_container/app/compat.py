"""Every use of a private pulpcore, Django or aiohttp internal, each behind a name of our own.

The plugin otherwise reaches pulpcore only through ``pulpcore.plugin.*``. Where that API lacks
something the registry needs, the internal it uses is wrapped here, once, with a docstring
saying what it relies on. ``tests/unit/test_compat.py`` holds one test per seam that fails when
the internal changes shape (a member missing, a signature or a copied method's source changed);
after upgrading pulpcore, Django or aiohttp, run it first and re-check what a failure names.
No other module may use these internals (``test_compat.py`` checks that too).

The seams:

* ``ExtendableHttpDownloader``: HttpDownloader's per-attempt hooks and body state.
* ``permit``, ``serve_stored_artifact``, ``stream_remote_artifact``: the content app Handler's
  content guard check and its two artifact responders.
* ``handler_without_middlewares``: a registry request skipping pulpcore's middleware chain.
* ``prepared_for``: an aiohttp response prepared for another request than the one received.
* ``compile_select``: the SQL Django's compiler makes of a queryset, and its row converters.
* ``quote_name``: the database backend's identifier quoting.
* ``prepared_rows``: a statement run as a server-side prepared one on Django's psycopg
  connection.
* ``AfterSaveContentSaver``: ContentSaver's hook after a batch of content is saved.
* ``create_version``: a copy of ``DeclarativeVersion.create`` with deeper queues.

Not seams, though spelled with an underscore: Django's ``Model._meta`` and
``_default_manager`` are documented Django API. Replaced rather than wrapped:
``Handler._reset_db_connection`` (``db/connections.py`` calls Django's public
``close_old_connections``, which does the same for every connection).
"""

import asyncio
import tempfile
from collections.abc import Callable
from typing import NamedTuple

import psycopg
from pulpcore.plugin.download import HttpDownloader
from pulpcore.plugin.stages import ContentAssociation, ContentSaver, EndStage, create_pipeline

# --- pulpcore's HttpDownloader ---------------------------------------------------------------


class ExtendableHttpDownloader(HttpDownloader):
    """pulpcore's HttpDownloader with the private members a subclass changes under public names.

    pulpcore's ``run`` retries ``_run``, one attempt: a GET of the URL with
    ``extra_data["request_kwargs"]`` added, whose response goes to ``_handle_response``; that
    hands each chunk to ``handle_data``, which gathers the body in a file (``_writer``, opened
    by ``_ensure_writer_has_open_file``), its digests (``_digests``) and its size (``_size``).
    A subclass overrides `attempt` and `read_response` and reads that state through
    `received_size`, `hashers`, `open_file` and `drop_file`.
    """

    async def _run(self, extra_data=None):
        return await self.attempt(extra_data)

    async def attempt(self, extra_data=None):
        """One try of the download, retried by ``run``: pulpcore's GET of the URL (with
        ``extra_data["request_kwargs"]``), its response read by `read_response`."""
        return await HttpDownloader._run(self, extra_data=extra_data)

    async def _handle_response(self, response):
        return await self.read_response(response)

    async def read_response(self, response):
        """Read one attempt's aiohttp response; pulpcore's passes the headers to
        ``headers_ready_callback``, each chunk to ``handle_data``, then calls ``finalize``.

        Returns:
            DownloadResult.
        """
        return await HttpDownloader._handle_response(self, response)

    @property
    def received_size(self):
        """Bytes of the body gathered so far (what ``validate_size`` checks)."""
        return self._size

    @received_size.setter
    def received_size(self, value):
        self._size = value

    @property
    def hashers(self):
        """The hashlib object of each ALLOWED_CONTENT_CHECKSUMS algorithm, fed the body so far
        (what ``validate_digests`` and ``artifact_attributes`` read). Replaced by `open_file`."""
        return self._digests

    def open_file(self):
        """The download's file, opened on first use (with fresh `hashers` and size)."""
        self._ensure_writer_has_open_file()
        return self._writer

    def drop_file(self):
        """Forget the download's file once the caller closed it (as pulpcore's finalize does)."""
        self._writer = None


# --- pulpcore's content app Handler ----------------------------------------------------------


def permit(handler, request, distribution):
    """Refuse `request` unless the content guard of `distribution` (a pulpcore Distribution)
    lets it through: ``Handler._permit``.

    Raises:
        aiohttp.web.HTTPForbidden: the guard refused, with its reason.
    """
    handler._permit(request, distribution)


async def serve_stored_artifact(handler, content_artifact, headers, request):
    """The response for a ContentArtifact whose file is stored (sendfile, or a redirect to
    the storage), with `headers` added: ``Handler._serve_content_artifact``."""
    return await handler._serve_content_artifact(content_artifact, headers, request)


async def stream_remote_artifact(handler, request, response, remote_artifact, save_artifact):
    """Fetch `remote_artifact` through its remote's downloader, writing each chunk to
    `response` as it arrives, and with `save_artifact` store it as the artifact of its
    ContentArtifact at the end: ``Handler._stream_remote_artifact``."""
    return await handler._stream_remote_artifact(
        request, response, remote_artifact, save_artifact=save_artifact
    )


# --- aiohttp, around pulpcore's content app --------------------------------------------------


def handler_without_middlewares(request):
    """The route handler aiohttp matched for `request`, without the middlewares after ours.

    aiohttp's ``Application._handle`` wraps ``match_info.handler`` in the application's
    middlewares; awaiting it directly skips those that come after the registry's own (it
    goes first), which in pulpcore's content app are ``guid`` and ``authenticate``.
    """
    return request.match_info.handler


def prepared_for(response, request):
    """`response`, prepared for `request` when aiohttp prepares it.

    aiohttp prepares the response a handler returns for the request it received
    (``RequestHandler.finish_response`` calls ``resp.prepare(request)``): a FileResponse reads
    that request's Range again, and answers a Range it cannot parse with a bare 416. Handing
    it our request makes it send what the handler decided.
    """
    prepare = response.prepare
    response.prepare = lambda _received: prepare(request)
    return response


# --- Django's SQL compiler and backend -------------------------------------------------------


class CompiledSelect(NamedTuple):
    """A queryset as Django runs it: SQL text, its parameters, and ``convert(rows)`` turning
    the rows of a cursor into the tuples the queryset would give (Django's converters)."""

    sql: str
    params: tuple
    convert: Callable[[list], list]


def compile_select(queryset):
    """The SQL and parameters of a ``values_list`` queryset, and its row converters.

    Django's ``SQLCompiler``: ``as_sql()`` gives the text and parameters; after it,
    ``select[:col_count]`` names the selected columns, ``get_converters`` their converters and
    ``apply_converters`` runs them over raw rows.
    """
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(fields)

    def convert(rows):
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [tuple(row) for row in rows]

    return CompiledSelect(sql, tuple(params), convert)


def prepared_rows(connection, sql, params):
    """The rows of `sql` (``%s`` placeholders) with `params`, run as a prepared statement.

    Django's psycopg cursors bind values into the text client-side, so PostgreSQL parses and
    plans every statement anew; for the distribution lookup of every registry request that
    costs several times running it (bench/README.md). A psycopg ``Cursor`` on the same
    connection binds server-side and, with ``prepare=True``, has PostgreSQL prepare the
    statement once per connection. psycopg prepares nothing while the connection's
    ``prepare_threshold`` is None, as Django leaves it unless configured: it is raised to
    "only when asked" then, which changes nothing for Django's own (client-side) cursors.
    Relies on ``connection.connection`` being the psycopg 3 connection (with the loaders Django
    registered on it) and on ``connection.wrap_database_errors`` turning psycopg's errors into
    Django's.
    """
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _PREPARE_ONLY_WHEN_ASKED
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


_PREPARE_ONLY_WHEN_ASKED = 2**31  # executions before psycopg prepares a statement unasked


def quote_name(connection, name):
    """`name` (a table or column) quoted for the database of `connection`:
    ``connection.ops.quote_name``."""
    return connection.ops.quote_name(name)


# --- pulpcore's sync pipeline ----------------------------------------------------------------


class AfterSaveContentSaver(ContentSaver):
    """pulpcore's ContentSaver with its hook after each saved batch (``_post_save``, called by
    ``ContentSaver.run`` in the batch's transaction) under a public name."""

    def _post_save(self, batch):
        self.after_save(batch)

    def after_save(self, batch):
        """Save what relates the batch's content units, once they are saved (in the batch's
        transaction). `batch`: the DeclarativeContents."""


# sha256 of ``inspect.getsource(DeclarativeVersion.create)`` of the pulpcore `create_version`
# copies (3.123); test_compat fails once pulpcore's method differs.
DECLARATIVE_VERSION_CREATE_SHA256 = (
    "b327862639afec804e00bed41f59d180e4b9b5f421906b59daf56d17fd4a8eb5"
)


def create_version(declarative_version, queue_size):
    """``DeclarativeVersion.create`` of `declarative_version`, with queues of `queue_size` items
    between the stages (pulpcore's take one item and no size).

    A copy of pulpcore's method (see DECLARATIVE_VERSION_CREATE_SHA256) that passes
    ``maxsize`` to ``create_pipeline``.

    Returns:
        The new RepositoryVersion, or None when it holds no change.
    """
    with tempfile.TemporaryDirectory(dir="."):
        with declarative_version.repository.new_version() as new_version:
            stages = declarative_version.pipeline_stages(new_version)
            stages.append(ContentAssociation(new_version, declarative_version.mirror))
            stages.append(EndStage())
            pipeline = create_pipeline(stages, maxsize=queue_size)
            asyncio.get_event_loop().run_until_complete(pipeline)
    return new_version if new_version.complete else None
