"""Pulp users for the functional tests, made through the REST API as an administrator would.

``user_factory`` makes users with unique names and one known password, grants them roles and
gives a REST client acting as them; ``users`` is a module's pair of users without any role: a
``stranger``, and a ``puller`` the module's tests give the roles they need. Each user is the
REST API's body plus ``auth``, the ``(username, password)`` their clients log in with.
tests/functional/conftest.py registers these fixtures.
"""

import uuid

import pytest

from tests.functional.pulp import PulpAPI

__all__ = ["Users", "user_factory", "users"]

PASSWORD = "functional-user-pw-1"


class Users:
    """Makes users on the Pulp that `api` (an administrator's client) talks to."""

    def __init__(self, api: PulpAPI):
        self.api = api

    def create(self, label: str = "user") -> dict:
        """A new user named after `label`; the REST body plus ``auth``."""
        username = f"{label}-{uuid.uuid4().hex[:10]}"
        user = self.api.ok(self.api.post("users/", {"username": username, "password": PASSWORD}))
        return {**user, "auth": (username, PASSWORD)}

    def grant(self, user: dict, role: str, content_object: dict | str) -> None:
        """Give `user` the `role` on one object (its REST body or its href)."""
        href = content_object if isinstance(content_object, str) else content_object["pulp_href"]
        body = {"role": role, "content_object": href}
        self.api.ok(self.api.post(f"{user['pulp_href']}roles/", body))

    def api_as(self, user: dict) -> PulpAPI:
        """A REST API client acting as `user`."""
        return PulpAPI(self.api.base_url, auth=user["auth"])


@pytest.fixture(scope="module")
def user_factory(api):
    """Makes users on the module's Pulp (the one its `api` fixture talks to)."""
    return Users(api)


@pytest.fixture(scope="module")
def users(user_factory):
    """Two users without any role: ``stranger`` and ``puller``."""
    return {label: user_factory.create(label) for label in ("stranger", "puller")}
