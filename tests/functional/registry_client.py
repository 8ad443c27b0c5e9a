"""Raw HTTP against the registry the way docker and podman talk to it, tokens included."""

import re

import requests
from requests.auth import AuthBase

_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def challenge_params(header):
    """The parameters of a ``Bearer realm="...",service="...",scope="..."`` challenge."""
    scheme, _, rest = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return {key: value.replace('\\"', '"') for key, value in _PARAM.findall(rest)}


def fetch_token(params, auth=None):
    """Ask the challenge's realm for a token; ``auth`` is (user, password) or None."""
    query = {"service": params["service"]}
    if params.get("scope"):
        query["scope"] = params["scope"]
    response = requests.get(params["realm"], params=query, auth=auth, timeout=60)
    response.raise_for_status()
    return response.json()["token"]


class TokenAuth(AuthBase):
    """Answer a Bearer challenge once per request: fetch a token (with Basic credentials, or
    anonymously) for the challenged scope and send the request again with it."""

    def __init__(self, username=None, password=None):
        self.credentials = (username, password) if username is not None else None

    def __call__(self, request):
        request.register_hook("response", self._answer_challenge)
        return request

    def _answer_challenge(self, response, **kwargs):
        params = challenge_params(response.headers.get("WWW-Authenticate"))
        if response.status_code != 401 or params is None or "error" in params:
            return response
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Bearer {fetch_token(params, self.credentials)}"
        retry.hooks = {"response": []}
        response.content  # noqa: B018 -- release the connection before sending again
        answered = response.connection.send(retry, **kwargs)
        answered.history.append(response)
        return answered
