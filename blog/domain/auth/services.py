"""Logging in: failed attempts are throttled per account and per client address."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.security.jwt import Token
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

from blog.domain.authors.models import Author
from blog.domain.authors.services import AuthorService
from blog.fields import MAX_ID

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class _Window:
    """One key's failed attempts, and when its minute ends (seconds since the epoch)."""

    count: int
    ends: float

    def stored(self) -> str:
        return f"{self.count} {self.ends}"

    @classmethod
    def read(cls, stored: bytes | None, now: float) -> _Window:
        if stored:
            count, ends = stored.decode().split()
            if float(ends) > now:
                return cls(int(count), float(ends))
        return cls(0, now + WINDOW_SECONDS)


class LoginThrottle:
    """At most ``limit`` failed logins per account and per client address in a minute.

    The counts live in a Litestar store: Redis, shared by every worker, or this process's
    memory. An attempt is counted before its password is checked and forgiven if it
    succeeds, so that attempts made at the same moment cannot all slip under the limit
    while their passwords are being checked. Each count keeps the end of its minute in its
    value, so a window is exactly a minute from its first failure, whatever the store rounds.
    A store has no atomic increment (Litestar's own rate limiter reads and writes back too),
    so one process counts one attempt at a time; workers sharing Redis can each miss at most
    the attempts they count at the same moment.
    """

    def __init__(self, store: Store, limit: int) -> None:
        self.store = store
        self.limit = limit
        self._counting = asyncio.Lock()
        self._swept = time.time()

    async def admit(self, account: str, address: str) -> None:
        """Count an attempt, or refuse it with a 429 (and ``Retry-After``) if either count is full.

        ``account`` names the account tried (or the login, when no account has it).
        """
        keys = (f"account:{account}", f"address:{address}")
        now = time.time()
        async with self._counting:
            await self._sweep(now)
            windows = [_Window.read(await self.store.get(key), now) for key in keys]
            if full := [window.ends for window in windows if window.count >= self.limit]:
                retry_after = math.ceil(max(full) - now)
                raise TooManyRequestsException(
                    detail=f"Too many failed logins; try again in {retry_after} s.",
                    headers={"Retry-After": str(retry_after)},
                )
            for key, window in zip(keys, windows, strict=True):
                counted = _Window(window.count + 1, window.ends)
                await self.store.set(key, counted.stored(), expires_in=math.ceil(window.ends - now))

    async def forgive(self, account: str, address: str) -> None:
        """The attempt succeeded: the account starts afresh, and the address owes one attempt less."""
        now = time.time()
        async with self._counting:
            await self.store.delete(f"account:{account}")
            window = _Window.read(await self.store.get(f"address:{address}"), now)
            if window.count:
                forgiven = _Window(window.count - 1, window.ends)
                await self.store.set(f"address:{address}", forgiven.stored(), expires_in=math.ceil(window.ends - now))

    async def _sweep(self, now: float) -> None:
        # Litestar's memory store drops an expired key only when it is read again: without a
        # sweep, every login and address ever tried would stay. Redis expires keys itself.
        if isinstance(self.store, MemoryStore) and now - self._swept > WINDOW_SECONDS:
            self._swept = now
            await self.store.delete_expired()


class WrongCredentialsError(NotAuthorizedException):
    """No account has this login and password: one answer whichever was wrong (a 401)."""


WRONG_CREDENTIALS = "Wrong username, e-mail address or password."


async def log_in(authors: AuthorService, throttle: LoginThrottle, login: str, password: str, address: str) -> Author:
    """The account ``login`` (a username or an e-mail address) names, if ``password`` is its
    password; ``WrongCredentialsError`` otherwise. Failed attempts are throttled (a 429 when
    there were too many)."""
    author = await authors.find_by_login(login)
    account = f"id:{author.id}" if author else f"login:{login.lower()}"
    await throttle.admit(account, address)
    # Checked even for an unknown login (against a dummy hash): both cost one Argon2 verification,
    # so the time of the answer does not tell which usernames exist.
    matched = await authors.password_matches(author, password)
    if author is None or not matched:
        raise WrongCredentialsError(WRONG_CREDENTIALS)
    await throttle.forgive(account, address)
    return author


def user_loader(
    reads: SQLAlchemyAsyncConfig,
) -> Callable[[Token, ASGIConnection[Any, Any, Any, Any]], Awaitable[Author | None]]:
    """The security's ``retrieve_user_handler``: the author a token names, ``None`` (a 401) if gone.

    The author is read in a session of its own, whose connection goes back to the pool at
    once: a write would otherwise hold two connections (this one, and its transaction's),
    and a burst of writes could take them all and wait on each other.
    """

    async def load_author(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Author | None:
        if not token.sub.isdigit() or not 1 <= int(token.sub) <= MAX_ID:
            return None
        async with reads.get_session() as session:
            return await AuthorService(session=session).get_one_or_none(id=int(token.sub))

    return load_author
