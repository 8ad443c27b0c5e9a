"""Task entry points dispatched by the viewsets."""

from .namespaces import delete_namespace, distributions_in
from .pullthrough import add_cached_content
from .synchronize import synchronize

__all__ = ["add_cached_content", "delete_namespace", "distributions_in", "synchronize"]
