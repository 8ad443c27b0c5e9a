"""Token scopes of the Docker token protocol: ``repository:<name>:pull,push``, as values.

Pure: no Django, no I/O. The grammar is ``type[(class)]:name:action[,action...]``; the name may
itself hold colons (a host with a port), so the type is what comes before the first colon and
the actions what comes after the last one.
"""

from dataclasses import dataclass

REPOSITORY = "repository"
REGISTRY = "registry"
CATALOG = "catalog"
PULL = "pull"
PUSH = "push"
DELETE = "delete"
WILDCARD = "*"


class ScopeInvalid(ValueError):
    """A scope string that does not follow the grammar."""


@dataclass(frozen=True)
class Scope:
    """Access to one resource: what type it is, its name, and the actions wanted or granted."""

    type: str
    name: str
    actions: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"

    def as_claim(self) -> dict:
        """The entry of a token's ``access`` claim."""
        return {"type": self.type, "name": self.name, "actions": list(self.actions)}

    def with_actions(self, actions) -> "Scope":
        return Scope(self.type, self.name, tuple(a for a in self.actions if a in set(actions)))


def parse_scope(text: str) -> Scope:
    """Parse one scope; actions keep their order and lose duplicates.

    Raises:
        ScopeInvalid: when a part is missing.
    """
    if not text.isprintable():
        raise ScopeInvalid(f"scope {text!r} holds a control character")
    if text.count(":") < 2:
        raise ScopeInvalid(f"scope {text!r} is not of the form type:name:actions")
    resource_type, rest = text.split(":", 1)
    name, actions = rest.rsplit(":", 1)
    resource_type = resource_type.split("(", 1)[0]
    if not resource_type or not name:
        raise ScopeInvalid(f"scope {text!r} lacks a resource type or name")
    wanted = tuple(dict.fromkeys(a.strip() for a in actions.split(",") if a.strip()))
    return Scope(resource_type, name, wanted)


def parse_scopes(values) -> list[Scope]:
    """Parse every ``scope`` query parameter; one parameter may hold several, space-separated."""
    scopes = []
    for value in values:
        scopes.extend(parse_scope(part) for part in value.split())
    return merge(scopes)


def merge(scopes) -> list[Scope]:
    """Join scopes that name the same resource, keeping each action once."""
    merged: dict[tuple[str, str], list[str]] = {}
    for scope in scopes:
        actions = merged.setdefault((scope.type, scope.name), [])
        actions.extend(a for a in scope.actions if a not in actions)
    return [Scope(t, n, tuple(a)) for (t, n), a in merged.items()]


def repository(name: str, *actions: str) -> Scope:
    return Scope(REPOSITORY, name, tuple(actions))


CATALOG_SCOPE = Scope(REGISTRY, CATALOG, (WILDCARD,))


def covers(access: list[dict], resource_type: str, name: str, action: str) -> bool:
    """Whether a token's ``access`` claim grants ``action`` on the resource."""
    for entry in access:
        if entry.get("type") == resource_type and entry.get("name") == name:
            actions = entry.get("actions") or []
            if action in actions or WILDCARD in actions:
                return True
    return False
