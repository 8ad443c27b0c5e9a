"""A queryset compiled to SQL once, then run again with other values.

Building and compiling a queryset with subqueries costs the ORM several times the CPU
PostgreSQL takes to answer it (figures in bench/README.md, "Figures quoted in code"), and the
distribution lookup every registry request makes is such a query. It is the same query on
every request but for a few values, so `CompiledQuery` builds it once per *shape* with
placeholders standing for those values, keeps the SQL and its parameters, and runs that SQL
as a prepared statement with the values put where the placeholders were, so that PostgreSQL
plans it once per connection too (``compat.prepared_rows``). Django's converters still turn the
columns into Python values, as ``values_list`` would (``compat.compile_select``).

When a placeholder does not come out as a parameter of its own (the ORM folded it into the SQL
text, or transformed it), the query is not kept and every call goes through the ORM.
"""

import uuid
import weakref
from typing import NamedTuple

from django.db import connections

from pulp_container.app import process_state
from pulp_container.app.compat import compile_select, prepared_rows

_NOT_KEPT = object()
_instances = weakref.WeakSet()  # every CompiledQuery, forgotten together by a reset


def _forget_all():
    for query in list(_instances):
        query.forget()


process_state.register("db.compiled_queries", _forget_all)


class CompiledQuery:
    """Rows of a ``values_list`` queryset, compiled once per shape.

    Args:
        build: ``build(**values)`` returns the queryset for `values`, each a string, a list
            of strings or a UUID; called with placeholders of the same shape to compile it.
    """

    def __init__(self, build):
        self._build = build
        self._compiled = {}
        self._marker = f"compiled-query-{uuid.uuid4().hex}"
        _instances.add(self)

    def rows(self, shape, **values):
        """The rows of ``build(**values)`` as tuples, compiled once for `shape`.

        Args:
            shape: a hashable naming what the SQL text depends on besides `values` (e.g. the
                length of a list value, the domain).
            values: the strings, lists of strings and UUIDs the query varies in.
        """
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = self._compile(values)
        if compiled is _NOT_KEPT:
            return list(self._build(**values))
        return compiled.run(values)

    def kept(self, shape):
        """Whether the SQL of `shape` was compiled and kept: None before `rows` was asked for
        it, False when the ORM builds that query on every call (see the module's docstring)."""
        compiled = self._compiled.get(shape)
        return None if compiled is None else compiled is not _NOT_KEPT

    def forget(self):
        """Forget the SQL of every shape: each is compiled again on its next use."""
        self._compiled = {}

    def _placeholder(self, key, index=None):
        return f"{self._marker}:{key}" if index is None else f"{self._marker}:{key}:{index}"

    def _compile(self, values):
        slots, placeholders = {}, {}
        for key, value in values.items():
            if isinstance(value, uuid.UUID):
                mark = uuid.uuid4()  # a UUID field takes only a UUID
                slots[mark] = _Slot(key, None)
                placeholders[key] = mark
            elif isinstance(value, str):
                slots[self._placeholder(key)] = _Slot(key, None)
                placeholders[key] = self._placeholder(key)
            else:
                marks = [self._placeholder(key, i) for i in range(len(value))]
                slots.update({mark: _Slot(key, i) for i, mark in enumerate(marks)})
                placeholders[key] = marks
        queryset = self._build(**placeholders)
        sql, params, convert = compile_select(queryset)
        found = [p for p in params if _marks(p) and p in slots]
        if sorted(map(str, found)) != sorted(map(str, slots)) or self._marker in sql:
            return _NOT_KEPT
        return _Compiled(
            sql=sql,
            params=tuple(slots.get(p, p) if _marks(p) else p for p in params),
            using=queryset.db,
            convert=convert,
        )


def _marks(param):
    """Whether `param` may be a placeholder."""
    return isinstance(param, (str, uuid.UUID))


class _Slot(NamedTuple):
    """Where a parameter's value comes from: ``values[key]``, or ``values[key][index]``."""

    key: str
    index: int | None

    def value(self, values):
        value = values[self.key]
        return value if self.index is None else value[self.index]


class _Compiled:
    def __init__(self, sql, params, using, convert):
        self.sql = sql
        self.params = params
        self.using = using
        self.convert = convert

    def run(self, values):
        params = [p.value(values) if isinstance(p, _Slot) else p for p in self.params]
        return self.convert(prepared_rows(connections[self.using], self.sql, params))
