"""CompiledQuery against a real PostgreSQL: the rows it gives are the ORM's, for string, list and
UUID values, subqueries and columns Django converts (JSON, aware datetimes); a shape is compiled
once and its SQL reused with other values, as a statement PostgreSQL prepared; a query whose values the ORM transforms is not kept
(nor one using a value twice) and goes through the ORM every time; a reset forgets the SQL.

The database is an embedded PostgreSQL of the test's own (devserver/database.py, as ``make run``
starts), with two tables made for the test; pulpcore's settings point at it. Django runs in a
fresh interpreter (the other unit tests must not see its settings), which reports what it saw.
"""

import shutil
import tempfile
from pathlib import Path

import pytest

from devserver.database import EmbeddedPostgres
from tests.unit.fresh_interpreter import run_script

SCRIPT = r'''
import json
import uuid
from datetime import datetime, timedelta, timezone

import django

django.setup()

from django.db import connection, models  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402

from pulp_container.app import process_state  # noqa: E402
from pulp_container.app.db.compiled import CompiledQuery  # noqa: E402


class Shelf(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.TextField(unique=True)

    class Meta:
        app_label = "container"
        db_table = "unit_compiled_shelf"


class Book(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    title = models.TextField()
    shelf = models.ForeignKey(Shelf, null=True, on_delete=models.CASCADE)
    notes = models.JSONField(default=dict)
    added = models.DateTimeField()

    class Meta:
        app_label = "container"
        db_table = "unit_compiled_book"


with connection.schema_editor() as editor:
    editor.create_model(Shelf)
    editor.create_model(Book)

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
shelves = {name: Shelf.objects.create(name=name) for name in ("fiction", "poetry", "empty")}
for i, (title, shelf) in enumerate(
    [("dune", "fiction"), ("emma", "fiction"), ("odes", "poetry"), ("loose", None)]
):
    Book.objects.create(
        title=title,
        shelf=shelves.get(shelf),
        notes={"pages": 100 + i, "tags": [title]},
        added=START + timedelta(days=i),
    )


def plain(rows):
    """Rows as JSON can say them (UUIDs and datetimes as strings)."""
    return [[v if isinstance(v, (int, str, list, dict, type(None))) else str(v) for v in row]
            for row in rows]


class Counted:
    """A build function that counts how often it is called."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, **values):
        self.calls += 1
        return self.build(**values)


statements = []


def counting(execute, sql, params, many, context):
    statements.append(sql)
    return execute(sql, params, many, context)


def prepared_runs():
    """How often this connection ran its prepared statements (PostgreSQL counts the plans)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
        )
        return int(cursor.fetchone()[0])


def run(query, shape, **values):
    """The rows of `query` for `values`, the ORM's rows for the same, and the statements run:
    through Django's cursor, and as prepared statements."""
    statements.clear()
    before = prepared_runs()
    with connection.execute_wrapper(counting):
        rows = query.rows(shape, **values)
        ran = len(statements)
    ran += prepared_runs() - before
    expected = list(builds[query].build(**values))  # uncounted
    return {"rows": plain(rows), "orm": plain(expected), "statements": ran}


outcome = {}
builds = {}  # CompiledQuery -> its Counted build


def compiled(build):
    query = CompiledQuery(build)
    builds[query] = build
    return query

by_title = Counted(
    lambda title: Book.objects.filter(title=title).values_list("title", "notes", "added")
)
query = compiled(by_title)
outcome["string"] = {
    "kept before": query.kept("one"),
    "first": run(query, "one", title="dune"),
    "second": run(query, "one", title="odes"),
    "absent": run(query, "one", title="nothing"),
    "kept after": query.kept("one"),
    "builds": by_title.calls,
}

in_titles = Counted(
    lambda titles: Book.objects.filter(title__in=titles).order_by("title").values_list("title")
)
query = compiled(in_titles)
outcome["list"] = {
    "two": run(query, 2, titles=["emma", "dune"]),
    "two again": run(query, 2, titles=["odes", "nothing"]),
    "three": run(query, 3, titles=["odes", "dune", "emma"]),
    "kept": [query.kept(2), query.kept(3)],
    "builds": in_titles.calls,
}

on_shelf = Counted(
    lambda shelf: Book.objects.filter(shelf_id=shelf)
    .order_by("title")
    .values_list("title", "shelf__name")
)
query = compiled(on_shelf)
outcome["uuid"] = {
    "fiction": run(query, "s", shelf=shelves["fiction"].pk),
    "poetry": run(query, "s", shelf=shelves["poetry"].pk),
    "kept": query.kept("s"),
}

with_books = Counted(
    lambda names, titles: Shelf.objects.filter(name__in=names)
    .annotate(filled=Exists(Book.objects.filter(shelf=OuterRef("pk"), title__in=titles)))
    .order_by("name")
    .values_list("name", "filled")
)
query = compiled(with_books)
outcome["subquery"] = {
    "first": run(query, 2, names=["fiction", "empty"], titles=["dune", "emma"]),
    "second": run(query, 2, names=["poetry", "fiction"], titles=["odes", "nothing"]),
    "kept": query.kept(2),
}

twice = Counted(
    lambda title: Book.objects.filter(title=title)
    .annotate(same=Exists(Book.objects.filter(title=title, shelf__isnull=False)))
    .values_list("title", "same")
)
query = compiled(twice)
outcome["twice"] = {
    "first": run(query, "t", title="dune"),
    "second": run(query, "t", title="loose"),
    "kept": query.kept("t"),
}

starting = Counted(
    lambda prefix: Book.objects.filter(title__startswith=prefix)
    .order_by("title")
    .values_list("title")
)
query = compiled(starting)
outcome["transformed"] = {
    "first": run(query, "p", prefix="d"),
    "second": run(query, "p", prefix="e"),
    "kept": query.kept("p"),
    "builds": starting.calls,
}

query = compiled(by_title)
run(query, "one", title="dune")
process_state.reset("db.compiled_queries")
outcome["reset"] = {
    "kept after reset": query.kept("one"),
    "again": run(query, "one", title="emma"),
    "kept again": query.kept("one"),
}

print("RESULT " + json.dumps(outcome))
'''


@pytest.fixture(scope="module")
def database():
    """Django's DATABASES for an embedded PostgreSQL started for this module.

    Its directory is not one of pytest's: pytest deletes old ones while other runs use them,
    and a unix socket's path must stay short."""
    root = Path(tempfile.mkdtemp(prefix="pulp-unit-db-"))
    server = EmbeddedPostgres(root / "pgdata")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def outcome(database, tmp_path_factory):
    """What the script's queries gave, keyed by scenario."""
    return run_script(SCRIPT, tmp_path_factory.mktemp("compiled-run"), databases=database)


def test_rows_are_the_orms_converted_values(outcome):
    first = outcome["string"]["first"]
    assert first["rows"] == first["orm"]
    assert first["rows"] == [
        ["dune", {"pages": 100, "tags": ["dune"]}, "2026-01-02 03:04:05+00:00"]
    ]


def test_compiled_sql_runs_again_with_other_values_in_one_statement(outcome):
    seen = outcome["string"]
    assert seen["second"]["rows"] == seen["second"]["orm"] != []
    assert seen["absent"]["rows"] == seen["absent"]["orm"] == []
    assert [seen[k]["statements"] for k in ("first", "second", "absent")] == [1, 1, 1]


def test_a_shape_is_built_once_and_kept(outcome):
    seen = outcome["string"]
    assert (seen["kept before"], seen["kept after"], seen["builds"]) == (None, True, 1)


def test_list_values_take_one_compilation_per_length(outcome):
    seen = outcome["list"]
    for name in ("two", "two again", "three"):
        assert seen[name]["rows"] == seen[name]["orm"], name
    assert seen["two"]["rows"] == [["dune"], ["emma"]]
    assert seen["kept"] == [True, True]
    assert seen["builds"] == 2


def test_uuid_values_are_placeholders_too(outcome):
    seen = outcome["uuid"]
    assert (
        seen["fiction"]["rows"]
        == seen["fiction"]["orm"]
        == [
            ["dune", "fiction"],
            ["emma", "fiction"],
        ]
    )
    assert seen["poetry"]["rows"] == seen["poetry"]["orm"] == [["odes", "poetry"]]
    assert seen["kept"] is True


def test_values_inside_a_subquery_are_replaced_as_well(outcome):
    seen = outcome["subquery"]
    assert seen["first"]["rows"] == seen["first"]["orm"]
    assert seen["first"]["rows"] == [["empty", False], ["fiction", True]]
    assert seen["second"]["rows"] == seen["second"]["orm"]
    assert seen["second"]["rows"] == [["fiction", False], ["poetry", True]]
    assert seen["kept"] is True


def test_a_value_the_query_uses_twice_is_not_kept(outcome):
    seen = outcome["twice"]
    assert seen["first"]["rows"] == seen["first"]["orm"] == [["dune", True]]
    assert seen["second"]["rows"] == seen["second"]["orm"] == [["loose", False]]
    assert seen["kept"] is False


def test_a_query_whose_values_the_orm_transforms_is_not_kept(outcome):
    seen = outcome["transformed"]
    assert seen["first"]["rows"] == seen["first"]["orm"] == [["dune"]]
    assert seen["second"]["rows"] == seen["second"]["orm"] == [["emma"]]
    assert seen["kept"] is False
    assert seen["builds"] == 3  # one to try compiling it, then one per call


def test_a_process_state_reset_forgets_the_sql(outcome):
    seen = outcome["reset"]
    assert seen["kept after reset"] is None
    assert seen["again"]["rows"] == seen["again"]["orm"] != []
    assert seen["kept again"] is True
