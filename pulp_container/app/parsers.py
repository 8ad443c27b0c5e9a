"""Request body parsers of the plugin's REST endpoints: DRF's, with deep JSON refused cleanly.

DRF's JSON parser turns invalid JSON into a 400 but lets ``RecursionError`` through, so a body
nested a few thousand levels deep was a 500 with an HTML page.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser


class DepthCheckedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply")


class ParsersMixin:
    """Mixed into every viewset of the plugin: the same media types as DRF's defaults."""

    parser_classes = [DepthCheckedJSONParser, FormParser, MultiPartParser]
