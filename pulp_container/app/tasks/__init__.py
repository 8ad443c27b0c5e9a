"""Task entry points dispatched by the viewsets."""

from .pullthrough import add_cached_content
from .synchronize import synchronize

__all__ = ["add_cached_content", "synchronize"]
