"""Task entry points dispatched by the viewsets."""

from .synchronize import synchronize

__all__ = ["synchronize"]
