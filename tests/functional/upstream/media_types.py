"""The media types of tests/functional/media_types.py, where they moved (the registry client
uses them too), under their old name for the tests that import them from here."""

from tests.functional.media_types import *  # noqa: F403
