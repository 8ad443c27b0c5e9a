"""Repository names under a pull-through prefix, as plain string functions (no Django)."""


def ancestors(name):
    """The proper prefixes of `name` at slashes, shortest first: ``a/b/c`` -> ``a``, ``a/b``."""
    parts = name.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def upstream_name(name, prefix):
    """The part of `name` after ``<prefix>/``, or None when `name` is not under `prefix`."""
    if not name.startswith(f"{prefix}/"):
        return None
    return name[len(prefix) + 1 :] or None
