"""The REST contract of an OpenAPI schema, reduced to what a generated client depends on.

Flags are compared exactly, but for one leniency: a field the reference makes optional may be
nullable here (see ``_may_be_null``).

``operations(schema)`` maps ``"METHOD path"`` to the operation's query parameters, its request
body's fields and each response's fields, every field with its type and flags. Nested objects
and lists of objects are flattened into dotted names (``results[].pulp_href``), so a paginated
list is compared down to the fields of its items. The script that wrote the reference data
(``scripts/contract_from_openapi.py``) and the contract test both use it, so both sides are
reduced the same way.
"""

from typing import NamedTuple

FLAGS = ("required", "readOnly", "writeOnly", "nullable")
# Deep enough for every schema of the reference (a paginated list of objects holding lists).
MAX_DEPTH = 4


def _resolve(schema, node):
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**schema["components"]["schemas"][name], **siblings}
    return node


def _unwrap(schema, node):
    """The schema `node` describes and whether null is allowed, through allOf/oneOf/anyOf."""
    node = _resolve(schema, node)
    nullable = bool(node.get("nullable"))
    for combiner in ("allOf", "oneOf", "anyOf"):
        if combiner in node:
            parts = [_resolve(schema, part) for part in node[combiner]]
            kept = []
            for part in parts:
                if part.get("type") == "null" or part.get("enum") == [None]:
                    nullable = True
                else:
                    kept.append(part)
            extra = {k: v for k, v in node.items() if k != combiner}
            node = {**(kept[0] if kept else {}), **extra}
            nullable = nullable or bool(node.get("nullable"))
    kind = node.get("type")
    if isinstance(kind, list):
        nullable = nullable or "null" in kind
        rest = [k for k in kind if k != "null"]
        kind = rest[0] if rest else "null"
    if kind is None:
        kind = "object" if "properties" in node else ("string" if "enum" in node else "any")
    if "enum" in node and None in node["enum"]:
        nullable = True
    return node, kind, nullable


def _type_name(schema, node, kind):
    if kind == "array":
        _, item_kind, _ = _unwrap(schema, node.get("items", {}))
        return f"array[{item_kind}]"
    return kind


def fields(schema, node, prefix="", depth=0):
    """{dotted field name: {"type", "required", "readOnly", "writeOnly", "nullable"}}."""
    node, kind, _ = _unwrap(schema, node)
    found = {}
    if kind != "object" or depth >= MAX_DEPTH:
        return found
    required = set(node.get("required", ()))
    for name, prop in node.get("properties", {}).items():
        resolved, prop_kind, nullable = _unwrap(schema, prop)
        dotted = f"{prefix}{name}"
        found[dotted] = {
            "type": _type_name(schema, resolved, prop_kind),
            "required": name in required,
            "readOnly": bool(prop.get("readOnly") or resolved.get("readOnly")),
            "writeOnly": bool(prop.get("writeOnly") or resolved.get("writeOnly")),
            "nullable": nullable,
        }
        if prop_kind == "object":
            found.update(fields(schema, resolved, f"{dotted}.", depth + 1))
        elif prop_kind == "array":
            found.update(fields(schema, resolved.get("items", {}), f"{dotted}[].", depth + 1))
    return found


def _body_schema(content):
    if not content:
        return None
    for media_type in ("application/json", *content):
        if media_type in content:
            return content[media_type].get("schema")
    return None


def operations(schema):
    """Every operation of `schema` as ``{"METHOD path": {"query", "request", "responses"}}``."""
    result = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            query = sorted(
                p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"
            )
            request = _body_schema(operation.get("requestBody", {}).get("content"))
            responses = {}
            for status, response in operation.get("responses", {}).items():
                body = _body_schema(response.get("content"))
                responses[status] = fields(schema, body) if body is not None else {}
            result[f"{method.upper()} {path}"] = {
                "query": query,
                "request": fields(schema, request) if request is not None else {},
                "responses": responses,
            }
    return result


class Gap(NamedTuple):
    """One thing the reference has that the served schema lacks or flags otherwise."""

    operation: str  # "METHOD path"
    kind: str  # "operation", "query", "field" or "response"
    name: str  # the parameter or dotted field name, "" for an operation
    where: str  # "request", "response <status>" or ""
    detail: str  # "missing" or what differs

    def __str__(self):
        place = " ".join(part for part in (self.where, self.kind, self.name) if part)
        return f"{self.operation}: {place} {self.detail}"


def missing(expected, served):
    """The Gaps between `expected` and `served` (both results of ``operations``), sorted."""
    gaps = []
    for key, operation in expected.items():
        if key not in served:
            gaps.append(Gap(key, "operation", "", "", "missing"))
            continue
        have = served[key]
        gaps.extend(
            Gap(key, "query", name, "", "missing")
            for name in operation["query"]
            if name not in have["query"]
        )
        gaps.extend(_field_gaps(key, "request", operation["request"], have["request"]))
        for status, wanted in operation["responses"].items():
            if status not in have["responses"]:
                gaps.append(Gap(key, "response", status, "", "missing"))
                continue
            gaps.extend(_field_gaps(key, f"response {status}", wanted, have["responses"][status]))
    return sorted(gaps)


def _field_gaps(key, where, wanted, have):
    for name, flags in wanted.items():
        if name not in have:
            yield Gap(key, "field", name, where, "missing")
        else:
            differ = ", ".join(
                f"{flag} {value} (served {have[name][flag]})"
                for flag, value in flags.items()
                if have[name][flag] != value and not _may_be_null(flag, flags, have[name])
            )
            if differ:
                yield Gap(key, "field", name, where, f"differs: {differ}")


def _may_be_null(flag, wanted, have):
    """A field the reference makes optional may also be null here: generated clients take
    null for every optional field, and a value read back (e.g. ``content_guard``) can then be
    written back as it is."""
    return flag == "nullable" and have["nullable"] and not wanted["required"]
