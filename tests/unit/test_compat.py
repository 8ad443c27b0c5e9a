"""Each seam of ``pulp_container/app/compat.py`` against the pulpcore, Django and aiohttp
installed: a test fails, naming what to re-check, when an internal a seam relies on changed
shape (a member gone, a signature or the source of a copied method changed). And no module but
compat.py uses those internals. With the plugin loaded as pulpcore loads it, the state a process
keeps is registered with ``process_state``.

pulpcore's content app and downloaders need its Django settings (no database), which the
other unit tests must not see: the shapes are read in a fresh interpreter, and the tests judge
what it reports.
"""

import ast
from pathlib import Path

import pytest

from tests.unit.fresh_interpreter import run_script

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "pulp_container"

SCRIPT = r'''
import hashlib
import importlib
import inspect
import json
import pkgutil

import django

django.setup()

import pulp_container  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.web_protocol import RequestHandler  # noqa: E402
from aiohttp.web_urldispatcher import UrlMappingMatchInfo  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.base.base import BaseDatabaseWrapper  # noqa: E402
from django.db.backends.base.operations import BaseDatabaseOperations  # noqa: E402
from django.db.backends.postgresql import base as postgresql_base  # noqa: E402
from django.db.models.sql.compiler import SQLCompiler  # noqa: E402
from pulpcore.plugin.content import Handler, app  # noqa: E402
from pulpcore.plugin.download import HttpDownloader  # noqa: E402
from pulpcore.plugin.stages import (  # noqa: E402
    ContentAssociation,
    ContentSaver,
    DeclarativeVersion,
    create_pipeline,
)

from pulp_container.app import compat, process_state  # noqa: E402


def signature(function):
    return str(inspect.signature(function))


def source(function):
    return inspect.getsource(function)


def downloader_state():
    """The state ExtendableHttpDownloader names, as pulpcore's validation reads it."""
    downloader = compat.ExtendableHttpDownloader(
        "http://127.0.0.1:9/blob", session=object(), expected_size=3
    )
    before = downloader.received_size
    file = downloader.open_file()
    file.write(b"abc")
    for hasher in downloader.hashers.values():
        hasher.update(b"abc")
    downloader.received_size += 3
    file.close()
    downloader.drop_file()
    downloader.validate_size()
    attributes = downloader.artifact_attributes
    return {
        "size_before": before,
        "algorithms": sorted(downloader.hashers),
        "artifact_size": attributes["size"],
        "artifact_sha256": attributes.get("sha256"),
        "file_forgotten": getattr(downloader, "_writer", "missing") is None,
    }


def compiled_select():
    queryset = get_user_model().objects.filter(username="someone").values_list("pk", "username")
    sql, params, convert = compat.compile_select(queryset)
    return {
        "has_placeholder": "%s" in sql,
        "params": list(params),
        "converted": [list(row) for row in convert([(1, "someone")])],
    }


pulpcore_run = source(HttpDownloader._run)
facts = {
    "downloader": {
        "_run": signature(HttpDownloader._run),
        "_handle_response": signature(HttpDownloader._handle_response),
        "run retries _run": "self._run(" in source(HttpDownloader.run),
        "_run reads request_kwargs": 'extra_data["request_kwargs"]' in pulpcore_run,
        "_run hands the response on": "self._handle_response(response)" in pulpcore_run,
        "shadowed": [
            name
            for name in ("attempt", "read_response", "received_size", "hashers", "open_file",
                         "drop_file")
            if hasattr(HttpDownloader, name)
        ],
        "state": downloader_state(),
    },
    "handler": {
        "_permit": signature(Handler._permit),
        "_permit static": isinstance(inspect.getattr_static(Handler, "_permit"), staticmethod),
        "_serve_content_artifact": signature(Handler._serve_content_artifact),
        "_stream_remote_artifact": signature(Handler._stream_remote_artifact),
    },
    "middlewares": {
        "pulpcore's": [middleware.__name__ for middleware in app.middlewares],
        "_handle wraps match_info.handler": "handler = match_info.handler"
        in source(web.Application._handle),
        "handler is a property": isinstance(
            inspect.getattr_static(UrlMappingMatchInfo, "handler"), property
        ),
    },
    "prepare": {
        "finish_response takes resp.prepare": "prepare_meth = resp.prepare"
        in source(RequestHandler.finish_response),
        "and calls it with the request": "await prepare_meth(request)"
        in source(RequestHandler.finish_response),
        "FileResponse reads the Range of that request": "request.http_range"
        in source(web.FileResponse),
    },
    "compiler": {
        "as_sql": signature(SQLCompiler.as_sql),
        "get_converters": signature(SQLCompiler.get_converters),
        "apply_converters": signature(SQLCompiler.apply_converters),
        "select and col_count": "self.col_count" in source(SQLCompiler.setup_query)
        and "self.select" in source(SQLCompiler.setup_query),
        "compiled": compiled_select(),
    },
    "quote_name": {
        "signature": signature(BaseDatabaseOperations.quote_name),
        "quoted": compat.quote_name(connection, "name"),
    },
    "prepared_rows": {
        "backend": connection.vendor,
        "psycopg 3": postgresql_base.is_psycopg3,
        "wrap_database_errors": "wrap_database_errors" in dir(BaseDatabaseWrapper),
        "connection attribute": "self.connection = None" in source(BaseDatabaseWrapper.__init__),
        "ensure_connection": signature(BaseDatabaseWrapper.ensure_connection),
    },
    "content_saver": {
        "_post_save": signature(ContentSaver._post_save),
        "called after each batch": "self._post_save(" in source(ContentSaver),
    },
    "declarative_version": {
        "create sha256": hashlib.sha256(source(DeclarativeVersion.create).encode()).hexdigest(),
        "copied sha256": compat.DECLARATIVE_VERSION_CREATE_SHA256,
        "create_pipeline": signature(create_pipeline),
        "ContentAssociation": signature(ContentAssociation.__init__),
        "attributes": all(
            f"self.{name} = {name}" in source(DeclarativeVersion.__init__)
            for name in ("repository", "mirror")
        ),
    },
}
# Every module but the content app's routes (which need the token keys), loaded as pulpcore
# loads the plugin: what registers process state has registered it.
for module in pkgutil.walk_packages(pulp_container.__path__, "pulp_container."):
    if module.name != "pulp_container.app.content" and ".migrations" not in module.name:
        importlib.import_module(module.name)
facts["process_state"] = process_state.names()
print("RESULT " + json.dumps(facts))
'''


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """What the installed pulpcore, Django and aiohttp look like where compat.py leans on them."""
    return run_script(SCRIPT, tmp_path_factory.mktemp("compat"))


def test_downloader_hooks_keep_their_signatures(shapes):
    seen = shapes["downloader"]
    hooks = (seen["_run"], seen["_handle_response"])
    assert hooks == ("(self, extra_data=None)", "(self, response)"), (
        "pulpcore's HttpDownloader._run/_handle_response changed signature: re-check "
        "compat.ExtendableHttpDownloader (attempt, read_response) and upstream/downloaders.py"
    )


def test_downloader_attempts_go_through_run_and_hand_the_response_on(shapes):
    seen = shapes["downloader"]
    flow = {k: seen[k] for k in ("run retries _run", "_run reads request_kwargs",
                                 "_run hands the response on")}  # fmt: skip
    assert all(flow.values()), (
        f"pulpcore's HttpDownloader no longer calls its attempt the way compat expects {flow}: "
        "re-check that RegistryHttpDownloader.attempt still runs once per retry, that its "
        "headers reach the request (extra_data['request_kwargs']) and that read_response is "
        "still called"
    )


def test_downloader_public_names_do_not_shadow_pulpcore(shapes):
    assert shapes["downloader"]["shadowed"] == [], (
        "pulpcore's HttpDownloader now has members named like compat.ExtendableHttpDownloader's "
        "public ones: rename ours"
    )


def test_downloader_state_is_what_pulpcore_validates(shapes):
    state = shapes["downloader"]["state"]
    assert state == {
        "size_before": 0,
        "algorithms": state["algorithms"],
        "artifact_size": 3,
        "artifact_sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "file_forgotten": True,
    }, (
        "pulpcore's BaseDownloader keeps its body state (_size, _digests, _writer) differently: "
        "re-check ExtendableHttpDownloader.received_size/hashers/open_file/drop_file"
    )
    assert "sha256" in state["algorithms"]


@pytest.mark.parametrize(
    "member, expected",
    [
        ("_permit", "(request, distribution)"),
        ("_serve_content_artifact", "(self, content_artifact, headers, request)"),
        (
            "_stream_remote_artifact",
            "(self, request, response, remote_artifact, save_artifact, repository=None)",
        ),
    ],
)
def test_content_handler_members_keep_their_signatures(shapes, member, expected):
    assert shapes["handler"][member] == expected, (
        f"pulpcore's Handler.{member} is now {shapes['handler'][member]}: re-check the compat "
        "function that calls it (permit, serve_stored_artifact, stream_remote_artifact)"
    )


def test_content_guard_check_is_a_static_method(shapes):
    assert shapes["handler"]["_permit static"], (
        "Handler._permit is no longer static: re-check compat.permit"
    )


def test_skipped_middlewares_are_the_ones_the_registry_replaces(shapes):
    seen = shapes["middlewares"]
    pulpcores = seen["pulpcore's"]
    assert pulpcores == ["guid", "authenticate"], (
        f"pulpcore's content app runs the middlewares {pulpcores}; a /v2/ request with "
        "a token skips them all (compat.handler_without_middlewares): re-check what each new "
        "one does and whether registry/base.py's middleware must do it instead"
    )
    assert seen["_handle wraps match_info.handler"] and seen["handler is a property"], (
        "aiohttp no longer wraps match_info.handler in the middlewares: re-check "
        "compat.handler_without_middlewares"
    )


def test_a_response_is_prepared_for_the_request_its_handler_chose(shapes):
    seen = shapes["prepare"]
    assert all(seen.values()), (
        f"aiohttp prepares a handler's response differently {seen}: re-check compat.prepared_for "
        "(a stored blob's Range, tests/functional/api/test_blob_ranges.py)"
    )


def test_compiler_members_keep_their_signatures(shapes):
    seen = shapes["compiler"]
    assert (seen["as_sql"], seen["get_converters"], seen["apply_converters"]) == (
        "(self, with_limits=True, with_col_aliases=False)",
        "(self, expressions)",
        "(self, rows, converters)",
    ), "Django's SQLCompiler changed: re-check compat.compile_select"
    assert seen["select and col_count"], (
        "SQLCompiler.select/col_count moved: re-check compat.compile_select"
    )


def test_a_compiled_select_has_the_values_as_parameters(shapes):
    assert shapes["compiler"]["compiled"] == {
        "has_placeholder": True,
        "params": ["someone"],
        "converted": [[1, "someone"]],
    }, "compat.compile_select no longer gives SQL, parameters and converted rows"


def test_names_are_quoted_by_the_backend(shapes):
    assert shapes["quote_name"] == {"signature": "(self, name)", "quoted": '"name"'}, (
        "Django's DatabaseOperations.quote_name changed: re-check compat.quote_name"
    )


def test_prepared_statements_run_on_djangos_psycopg3_connection(shapes):
    # What the rows come out as is tested against PostgreSQL in tests/unit/db/test_compiled.py.
    assert shapes["prepared_rows"] == {
        "backend": "postgresql",
        "psycopg 3": True,
        "wrap_database_errors": True,
        "connection attribute": True,
        "ensure_connection": "(self)",
    }, "Django's database wrapper or its psycopg use changed: re-check compat.prepared_rows"


def test_content_saver_calls_its_after_save_hook(shapes):
    seen = shapes["content_saver"]
    assert seen == {"_post_save": "(self, batch)", "called after each batch": True}, (
        "pulpcore's ContentSaver._post_save changed or is no longer called: re-check "
        "compat.AfterSaveContentSaver (manifest relations of a sync)"
    )


def test_the_copied_declarative_version_create_is_pulpcores(shapes):
    seen = shapes["declarative_version"]
    assert seen["create sha256"] == seen["copied sha256"], (
        "pulpcore's DeclarativeVersion.create is not the one compat.create_version copies. "
        "Compare its source with create_version, carry its changes over (keeping maxsize), "
        "then set DECLARATIVE_VERSION_CREATE_SHA256 to the new hash"
    )


def test_what_the_copy_calls_keeps_its_signatures(shapes):
    seen = shapes["declarative_version"]
    assert seen["create_pipeline"] == "(stages, maxsize=1)"
    assert seen["ContentAssociation"] == "(self, new_version, mirror, *args, **kwargs)"
    assert seen["attributes"], "DeclarativeVersion keeps repository/mirror differently"


@pytest.mark.parametrize(
    "name",
    [
        "auth.credential_cache",
        "auth.recent_grants",
        "auth.token_config",
        "db.compiled_queries",
        "registry.manifests",
        "upstream.registry_auths",
        "pullthrough.remotes",
        "threads.bodies",
        "threads.disk-syncs",
        "threads.background-hashing",
        "threads.index-writes",
    ],
)
def test_the_state_a_process_keeps_is_registered(shapes, name):
    assert name in shapes["process_state"], f"{name} is not registered with process_state"


# The internals compat.py wraps, by the attribute names that reach them.
INTERNAL_ATTRIBUTES = {
    "_handle_response",
    "_digests",
    "_writer",
    "_ensure_writer_has_open_file",
    "_permit",
    "_serve_content_artifact",
    "_stream_content_artifact",
    "_stream_remote_artifact",
    "_match_distribution",
    "_reset_db_connection",
    "_pre_save",
    "_post_save",
    "get_compiler",
    "get_converters",
    "apply_converters",
    "ops",
}
SOURCES = sorted(
    p
    for p in PACKAGE.rglob("*.py")
    if "migrations" not in p.parts and p != PACKAGE / "app" / "compat.py"
)


def _internals_used(path):
    used = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute):
            if node.attr in INTERNAL_ATTRIBUTES:
                used.append(node.attr)
            elif node.attr == "handler" and getattr(node.value, "attr", None) == "match_info":
                used.append("match_info.handler")
            elif (
                node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", None) == "super"
            ):
                used.append(f"super().{node.attr}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name in INTERNAL_ATTRIBUTES:
                used.append(f"def {node.name}")
    return used


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_internals_are_used_only_in_compat(path):
    assert _internals_used(path) == [], (
        f"{path.name} uses a private pulpcore/Django/aiohttp internal; wrap it in "
        "pulp_container/app/compat.py with a test here"
    )
