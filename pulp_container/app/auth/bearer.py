"""Bearer tokens on registry requests: reading the header and writing the challenge. Pure.

The challenge follows the Docker token protocol: ``Bearer realm="<token url>",
service="<service>",scope="<scope>"``, with ``error="invalid_token"`` or
``error="insufficient_scope"`` when a token was presented but is not enough.
"""

BEARER = "bearer"
INVALID_TOKEN = "invalid_token"
INSUFFICIENT_SCOPE = "insufficient_scope"


def token_of(authorization):
    """The token of a ``Bearer <token>`` header value, or None for any other header."""
    parts = (authorization or "").strip().split(None, 1)
    if len(parts) != 2 or parts[0].lower() != BEARER:
        return None
    return parts[1].strip() or None


def _quote(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def challenge(realm, service, scope=None, error=None):
    """The WWW-Authenticate value that sends a client to the token endpoint."""
    params = [("realm", realm), ("service", service)]
    if scope:
        params.append(("scope", scope))
    if error:
        params.append(("error", error))
    return "Bearer " + ",".join(f"{key}={_quote(value)}" for key, value in params)
