"""Credentials of one remote and the registry tokens obtained with them, per scope.

No pulpcore here: the downloader (``downloaders.py``) calls these methods and passes the I/O
it needs as a function, so the rules are testable alone.
"""

import asyncio
import time
from logging import getLogger

from pulp_container.app.upstream import challenge as challenges

log = getLogger(__name__)


class RegistryAuth:
    """Credentials of one remote and the tokens obtained with them, per scope.

    Args:
        username: sent as Basic credentials to the token endpoint, or to a registry that
            challenges with Basic. None: anonymous.
        password: its password.
        clock: seconds, monotonic; tests may pass a fake.
    """

    def __init__(self, username=None, password=None, clock=time.monotonic):
        self._basic = challenges.basic_authorization(username, password) if username else None
        self.clock = clock
        self._use_basic = False
        self._bearer = {}  # scope -> the Bearer challenge that asked for a token
        self._tokens = {}  # scope -> Token
        self._locks = {}  # scope -> asyncio.Lock, so one request per scope fetches a token

    @classmethod
    def from_basic_auth(cls, auth):
        """From an ``aiohttp.BasicAuth`` (what pulpcore's factory hands a downloader)."""
        if auth is None:
            return cls()
        return cls(auth.login, auth.password)

    def _lock(self, scope):
        return self._locks.setdefault(scope, asyncio.Lock())

    def _fresh_token(self, scope):
        token = self._tokens.get(scope)
        if token is not None and token.is_fresh(self.clock()):
            return challenges.bearer_authorization(token)
        return None

    async def authorization(self, scope, fetch_token):
        """The ``Authorization`` value to send first for `scope`, or None.

        A token that is about to expire is renewed from the challenge that asked for it.
        """
        fresh = self._fresh_token(scope)
        if fresh is not None:
            return fresh
        if scope in self._bearer:
            return await self._renew(scope, fetch_token, rejected=None)
        return self._basic if self._use_basic else None

    async def answer(self, header, scope, sent, fetch_token):
        """The ``Authorization`` value to retry with after a 401, or None to give up.

        Args:
            header: the 401's ``WWW-Authenticate`` value.
            scope: the downloader's scope (used when the challenge names none).
            sent: the ``Authorization`` value the refused request carried.
            fetch_token: ``async (TokenRequest, basic) -> Token`` asks the token endpoint,
                with `basic` (the Basic ``Authorization`` value, or None) as credentials.
        """
        try:
            chosen = challenges.choose(challenges.parse_challenges(header or ""))
        except challenges.ChallengeInvalid as exc:
            log.warning("Cannot answer the upstream's challenge %r: %s", header, exc)
            return None
        if chosen is None:
            return None
        if chosen.scheme == challenges.BASIC:
            if self._basic is None or sent == self._basic:
                return None
            self._use_basic = True
            return self._basic
        self._bearer[scope] = chosen
        return await self._renew(scope, fetch_token, rejected=sent)

    async def _renew(self, scope, fetch_token, rejected):
        async with self._lock(scope):
            fresh = self._fresh_token(scope)
            if fresh is not None and fresh != rejected:
                return fresh  # another downloader renewed it meanwhile
            request = challenges.token_request(self._bearer[scope], default_scope=scope)
            token = await fetch_token(request, self._basic)
            self._tokens[scope] = token
            return challenges.bearer_authorization(token)
