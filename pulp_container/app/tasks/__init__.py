"""Task entry points dispatched by the viewsets."""

from .copy import copy_manifests, copy_tags
from .namespaces import delete_namespace, distributions_in
from .pullthrough import add_cached_content
from .recursive import recursive_add, recursive_remove
from .synchronize import synchronize
from .tagging import remove_image, tag_image, untag_image

__all__ = [
    "add_cached_content",
    "copy_manifests",
    "copy_tags",
    "delete_namespace",
    "distributions_in",
    "recursive_add",
    "recursive_remove",
    "remove_image",
    "synchronize",
    "tag_image",
    "untag_image",
]
