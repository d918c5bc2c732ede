"""Who is calling: bearer tokens (Litestar's JWT security) and passwords (Argon2id, pwdlib).

Every route needs a token unless its handler is marked ``opt=PUBLIC``; a protected handler
declares ``security=SECURED`` so that the OpenAPI document says so (and only there: public
operations declare no requirement). Ownership is the services' business (``blog.service``):
it is checked after the body is validated and the row found, so that a client learns of a
401, a 400, a 404 and a 403 in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import tempfile
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import jwt
from litestar.config.app import AppConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.security.jwt import JWTCookieAuthenticationMiddleware, OAuth2PasswordBearerAuth, Token
from litestar.types import Receive, Scope, Send
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from blog.settings import AuthSettings, SettingsError
from blog.startup import StartupError

logger = logging.getLogger("blog.security")

MIN_SECRET_BYTES = 32
TOKEN_URL = "/auth/token"
SCHEME = "BearerToken"
"""The security scheme's name in the OpenAPI document."""
PUBLIC: dict[str, Any] = {"exclude_from_auth": True}
"""A handler's ``opt`` when it needs no token."""
SECURED: list[SecurityRequirement] = [{SCHEME: []}]
"""A protected handler's ``security``: the OpenAPI document then says it takes a token."""
SEND_A_TOKEN = "Send the token as `Authorization: Bearer <token>`."
AUTHORIZATION_SCHEMES = frozenset({"bearer", "token"})
"""``Authorization: Bearer <token>``, or ``Token <token>`` as RealWorld clients send it."""

passwords = PasswordHash((Argon2Hasher(),))
"""Argon2id with pwdlib's recommended parameters (about 90 ms a hash on the development VM)."""


@cache
def _dummy_hash() -> str:
    return passwords.hash(secrets.token_urlsafe(16))


HASHING_THREADS = max(1, (os.cpu_count() or 2) - 1)
"""Passwords hashed or checked at once, per process: Argon2 is ~100 ms of CPU each, and a
burst of logins on every core would starve the event loop that serves everything else."""
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def _hashing_threads() -> anyio.CapacityLimiter:
    # A limiter belongs to one event loop, and is made inside it.
    loop = asyncio.get_running_loop()
    if (limiter := _limiters.get(loop)) is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(HASHING_THREADS)
    return limiter


async def hash_password(password: str) -> str:
    """The password's Argon2id hash, computed in a worker thread: the event loop keeps serving."""
    return await anyio.to_thread.run_sync(passwords.hash, password, limiter=_hashing_threads())


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches ``password_hash``, computed in a worker thread.

    An account with no password (or no account at all: pass ``None``) is checked against a
    dummy hash, so that it costs what a wrong password costs and timing tells nothing.
    """
    matched = await anyio.to_thread.run_sync(
        passwords.verify, password, password_hash or _dummy_hash(), limiter=_hashing_threads()
    )
    return matched and password_hash is not None


class TokenMissingError(NotAuthorizedException):
    """No token at all (as opposed to one that is invalid): RealWorld clients are told which."""


def sent_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token in the ``Authorization`` header, in either scheme; ``None`` if there is none."""
    scheme, _, token = connection.headers.get("Authorization", "").partition(" ")
    if scheme.lower() not in AUTHORIZATION_SCHEMES or not token.strip():
        return None
    return token.strip()


class BearerTokenMiddleware(JWTCookieAuthenticationMiddleware):
    """Litestar's JWT middleware, reading the ``Authorization`` header only, in either scheme.

    Litestar's takes whatever word precedes the token, and a cookie too; a browser's cookie
    is not a credential this API accepts (it would need CSRF protection).
    """

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = sent_token(connection)
        if token is None:
            raise TokenMissingError(SEND_A_TOKEN)
        return await self.authenticate_token(encoded_token=token, connection=connection)


@dataclass
class AccessToken(Token):
    """The token's claims: ``sub`` (the author's id), ``iat``, ``exp``, ``jti``, and no others."""

    def encode(self, secret: str, algorithm: str) -> str:
        # Litestar's writes an empty `extras` claim too.
        claims = {"sub": self.sub, "iat": self.iat, "exp": self.exp, "jti": self.jti, **self.extras}
        return jwt.encode(payload=claims, key=secret, algorithm=algorithm)


class BearerAuth(OAuth2PasswordBearerAuth[Any, AccessToken]):
    """Litestar's OAuth2 password bearer security, declared per operation in the OpenAPI document.

    Litestar declares it once for the whole document, which would mark public operations as
    protected too; here each protected handler declares it (``SECURED``).
    """

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config = super().on_app_init(app_config)
        if app_config.openapi_config is not None:
            app_config.openapi_config.security = None
        return app_config

    @property
    def openapi_components(self) -> Components:
        """The scheme as what a client sends: an HTTP bearer token, obtained from ``POST /auth/token``.

        Litestar's is an OAuth2 password flow, for which Scalar's *Authorize* (1.76) asks for a
        client id and a secret as well, which mean nothing here; as a bearer scheme it asks for
        the token alone. Litestar's also mixes in ``name`` and ``in``, an API key's fields.
        """
        scheme = SecurityScheme(type="http", scheme="bearer", bearer_format="JWT", description=self.description)
        return Components(security_schemes={self.openapi_security_scheme_name: scheme})

    async def reader(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Any | None:
        """Whoever a public route's caller is: ``None`` without a token, the user with a valid one.

        A token that is sent must be valid (a 401 otherwise), exactly as the middleware
        checks it on protected routes: the same middleware does the checking.
        """
        if sent_token(connection) is None:
            return None
        return (await self._authenticator.authenticate_request(connection)).user

    @cached_property
    def _authenticator(self) -> BearerTokenMiddleware:
        authenticator = self.middleware(_not_an_app)
        if not isinstance(authenticator, BearerTokenMiddleware):  # pragma: no cover - set in bearer_auth
            raise TypeError(authenticator)
        return authenticator

    def issue(self, author_id: int) -> tuple[str, int]:
        """A new token for ``author_id``, and the seconds it is valid for."""
        lifetime = self.default_token_expiration
        now = datetime.now(UTC).replace(microsecond=0)  # one instant for `iat` and `exp`
        token = AccessToken(sub=str(author_id), iat=now, exp=now + lifetime, jti=uuid.uuid4().hex)
        return token.encode(self.token_secret, self.algorithm), int(lifetime.total_seconds())


async def _not_an_app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
    # The middleware behind ``BearerAuth.reader`` checks tokens; it never passes a request on.
    msg = "BearerAuth.reader authenticates only"
    raise RuntimeError(msg)


BEARER_STATE_KEY = "bearer"
"""Where the app keeps its ``BearerAuth`` in its state (``create_app``)."""


async def reader_of(request: ASGIConnection[Any, Any, Any, Any]) -> Any | None:
    """Who makes a request to a public route: ``None`` without a token, the author with a valid
    one (a 401 for an invalid one): ``BearerAuth.reader``.

    Taken from the app's state rather than injected: a dependency without dependencies of its
    own is resolved beside the session, in a task of its own (blog.listing), on every read.
    """
    bearer: BearerAuth = request.app.state[BEARER_STATE_KEY]
    return await bearer.reader(request)


def signing_key(settings: AuthSettings) -> str:
    """``auth.secret``, checked; a random key when it is not set (``warn_of_a_random_key``)."""
    if not settings.secret:
        return secrets.token_urlsafe(48)
    if len(settings.secret.encode()) < MIN_SECRET_BYTES:
        msg = f"auth.secret (AUTH_SECRET) must be at least {MIN_SECRET_BYTES} bytes long"
        raise SettingsError(msg)
    return settings.secret


def warn_of_a_random_key() -> None:
    """Said by an app signing with a random key when it starts serving (an ``on_startup`` hook):
    not by the commands that build the app and serve nothing (``litestar routes``)."""
    logger.warning(
        "auth.secret (AUTH_SECRET) is not set: tokens are signed with a key made at start-up, so they "
        "die with this process and other workers refuse them. To keep tokens valid across restarts and "
        "workers, set AUTH_SECRET to a random key of 32 bytes or more, e.g. the output of: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    )


DEVELOPMENT_KEY_FILE = ".blog-dev-secret"
"""The development key's file, beside the settings file (git-ignored): ``litestar run``'s key
when ``auth.secret`` is not set, so that a token outlives a reload or a restart."""


_NO_DEVELOPMENT_KEY = "Set AUTH_SECRET (32 bytes or more), or make the file readable and writable."


def _read_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise StartupError(
            f"cannot read the development key {path}: {error.strerror}", fix=_NO_DEVELOPMENT_KEY
        ) from None
    if len(key.encode()) < MIN_SECRET_BYTES:
        msg = f"{path} holds a key shorter than {MIN_SECRET_BYTES} bytes"
        raise StartupError(msg, fix=f"Delete {path}: `litestar run` makes a new one.")
    return key


def development_key(path: Path) -> str:
    """The key in ``path``, made first if there is none (random, readable by its owner only).

    It is written to a temporary file, then linked into place, which fails if another process
    linked its own first: two processes starting together both take the winner's key, and
    none ever reads a half-written one.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f"{path.name}.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(f"{key}\n")
            os.link(temporary, path)
        finally:
            os.unlink(temporary)
    except FileExistsError:
        return _read_key(path)
    except OSError as error:
        raise StartupError(
            f"cannot write the development key {path}: {error.strerror}", fix=_NO_DEVELOPMENT_KEY
        ) from None
    return key


@contextlib.contextmanager
def development_secret(settings: AuthSettings, settings_file: Path) -> Iterator[None]:
    """``litestar run``: without ``auth.secret``, the development key (``DEVELOPMENT_KEY_FILE``)
    is ``AUTH_SECRET`` for the server it starts, whose app (and every reload's) is built anew
    from the environment; said once, here, rather than by every worker."""
    if settings.secret:
        yield
        return
    path = settings_file.parent / DEVELOPMENT_KEY_FILE
    key = development_key(path)
    logger.warning(
        "auth.secret (AUTH_SECRET) is not set: `litestar run` signs tokens with the development key in %s, "
        "kept across reloads and restarts; set AUTH_SECRET in production",
        path,
    )
    previous = os.environ.get("AUTH_SECRET")
    os.environ["AUTH_SECRET"] = key
    try:
        yield
    finally:
        if previous is None:
            del os.environ["AUTH_SECRET"]
        else:
            os.environ["AUTH_SECRET"] = previous


def bearer_auth(
    settings: AuthSettings, retrieve_user: Callable[[AccessToken, Any], Awaitable[Any]], *, public_paths: list[str]
) -> BearerAuth:
    """The app's token security: ``retrieve_user`` loads the author a token names (``None``: a 401).

    ``public_paths`` are patterns of paths served without a token whatever their handlers say
    (the API reference, whose handlers Litestar makes).
    """
    return BearerAuth(
        token_secret=signing_key(settings),
        token_url=TOKEN_URL,
        retrieve_user_handler=retrieve_user,
        default_token_expiration=timedelta(seconds=settings.token_lifetime),
        openapi_security_scheme_name=SCHEME,
        description=(
            "A token from `POST /auth/token` (the OAuth2 password grant: your username or e-mail address, "
            "and your password), sent as `Authorization: Bearer <access_token>`. On this page: try "
            "`POST /auth/token`, then paste its `access_token` here."
        ),
        authentication_middleware_class=BearerTokenMiddleware,
        token_cls=AccessToken,
        exclude=public_paths,
    )
