"""Typed application settings, read from ``litestar.toml`` and the environment.

The file is decoded with msgspec into the structs below, so a misspelt key or a value of
the wrong type stops the app at start-up with an error that names the key. Any key can be
overridden by an environment variable named ``<SECTION>_<KEY>`` in upper case, e.g.
``DATABASE_URL`` or ``DATABASE_POOL_SIZE``; the value is converted to the key's type.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, get_origin

import msgspec
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from blog.startup import StartupError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository root: where ``litestar.toml``, ``alembic.ini`` and ``migrations/`` live."""

SETTINGS_FILE_ENV = "BLOG_SETTINGS_FILE"
"""Environment variable naming another settings file than ``<project root>/litestar.toml``."""


class SettingsError(StartupError):
    """The settings file or an environment override is invalid."""

    fix = "Correct it in litestar.toml or the environment; README.md, Configuration, lists every key."


class AppSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The ``[app]`` table."""

    debug: bool = False
    """Litestar debug mode: tracebacks in the server log, never in responses."""
    title: str = "Blog API"
    version: str = "1.0.0"
    docs_path: str = "/docs"
    """Where the API reference (Scalar) and ``openapi.json`` are served."""
    check_migrations: bool = True
    """Refuse to start when the database schema is not at the latest migration."""
    max_body_size: int = 1_048_576
    """Largest request body accepted, in bytes; a larger one is answered 413."""
    queue_timeout: float = 1.0
    """Seconds a request may wait for its turn when the worker is busy (serving as many requests
    as it has database connections); then it is answered 503 with ``Retry-After``. 0: no limit."""
    log_format: Literal["auto", "json", "console"] = "auto"
    """``json``: one JSON object a line; ``console``: coloured, for people; ``auto``: ``console``
    when stderr is a terminal, ``json`` otherwise."""
    public_url: str = ""
    """Where the blog is served, as its readers reach it (``https://blog.example``): the start of
    the feeds' absolute links. Empty: the scheme and host each request came to."""
    cors_origins: list[str] = msgspec.field(default_factory=list)
    """Origins whose pages may call the API from a browser (``https://app.example``); none by
    default. In the environment: ``APP_CORS_ORIGINS=https://a.example,https://b.example``."""

    def __post_init__(self) -> None:
        if self.public_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", self.public_url):
            msg = (
                f"app.public_url must be an absolute http(s) URL such as https://blog.example, not {self.public_url!r}"
            )
            raise ValueError(msg)


class DatabaseSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The ``[database]`` table."""

    url: str = "sqlite+aiosqlite:///blog.sqlite3"
    """SQLAlchemy URL; ``postgresql+asyncpg://user@host/db`` in production. A relative SQLite
    path in the settings file (or this default) is relative to the file's directory."""
    echo: bool = False
    """Log every SQL statement."""
    pool_size: int = 20
    """Connections each worker keeps open."""
    max_overflow: int = 0
    """Extra connections opened under a burst and closed on return; each costs a connect on
    the request that needs it, so the default pool is fixed and a burst waits instead."""
    pool_timeout: float = 5.0
    """Seconds a request waits for a free connection before it fails with 503."""
    connect_timeout: float = 5.0
    """Seconds to wait for PostgreSQL to accept a new connection."""
    statement_timeout: float = 10.0
    """Seconds one SQL statement may run on PostgreSQL before it is cancelled (a 503); 0: no limit."""
    pgbouncer: bool = False
    """``url`` is a PgBouncer in transaction pooling mode: keep no prepared statement between
    transactions, and send no ``statement_timeout`` (set it on the database role instead)."""


class AuthSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The ``[auth]`` table: tokens and logins."""

    secret: str = ""
    """The key tokens are signed with (HS256), at least 32 bytes. Empty: ``litestar run``'s
    development key (blog.security.development_secret), or in production a random key per
    process, so tokens die with it and workers do not share them. Set it with ``AUTH_SECRET``
    rather than in the file."""
    token_lifetime: int = 86_400
    """Seconds a token stays valid."""
    login_attempts: int = 10
    """Failed logins allowed per minute, per account and per client address; then 429."""

    def __repr__(self) -> str:
        # Settings may end up in a log or a traceback; the key must not.
        secret = "<set>" if self.secret else "<unset>"
        limits = f"token_lifetime={self.token_lifetime}, login_attempts={self.login_attempts}"
        return f"AuthSettings(secret={secret}, {limits})"


class CacheSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The ``[cache]`` table: state shared by the workers."""

    redis_url: str = ""
    """``redis://host:6379/0``: login throttling shared by every worker. Empty: in-process memory."""


TEXT_SEARCH_CONFIG = r"^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$"
"""A PostgreSQL text search configuration's name (``english``, ``pg_catalog.german``)."""


class SearchSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The ``[search]`` table: full-text search (``GET /articles?q=``, docs/search.md)."""

    language: Annotated[
        str,
        msgspec.Meta(
            pattern=TEXT_SEARCH_CONFIG,
            description="a PostgreSQL text search configuration, e.g. english, german, simple",
        ),
    ] = "english"
    """How words are stemmed and which are stop words: a PostgreSQL text search configuration
    (``SELECT cfgname FROM pg_ts_config``; ``simple`` stems nothing). The migration indexes the
    articles in the language set when it runs; the app refuses to start on PostgreSQL when the
    index is in another one (docs/search.md says how to change it). SQLite: ``english``
    ignores a plural's final ``s``, any other language stems nothing."""


class Settings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """All settings, one attribute per table of ``litestar.toml``."""

    app: AppSettings = msgspec.field(default_factory=AppSettings)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    cache: CacheSettings = msgspec.field(default_factory=CacheSettings)
    search: SearchSettings = msgspec.field(default_factory=SearchSettings)


def _apply_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    sections: dict[str, msgspec.Struct] = {}
    for section_field in msgspec.structs.fields(settings):
        section = getattr(settings, section_field.name)
        changes = {}
        for key in msgspec.structs.fields(section):
            variable = f"{section_field.name}_{key.name}".upper()
            if variable not in environ:
                continue
            value: object = environ[variable]
            if get_origin(key.type) is list:  # a list is written comma-separated
                value = [item.strip() for item in environ[variable].split(",") if item.strip()]
            try:
                changes[key.name] = msgspec.convert(value, key.type, strict=False)
            except msgspec.ValidationError as exc:
                # The value is not repeated: it could be a secret.
                msg = f"environment variable {variable}: {exc}"
                raise SettingsError(msg) from exc
        sections[section_field.name] = msgspec.structs.replace(section, **changes)
    return msgspec.structs.replace(settings, **sections)


def settings_file(environ: Mapping[str, str] | None = None) -> Path:
    """The settings file: ``BLOG_SETTINGS_FILE``, or ``litestar.toml`` at the project root."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(SETTINGS_FILE_ENV, PROJECT_ROOT / "litestar.toml"))


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file (if it exists), then apply environment overrides.

    Raises:
        SettingsError: the file is not valid TOML, has an unknown key or a value of the
            wrong type, or an environment override cannot be converted.
    """
    environ = os.environ if environ is None else environ
    path = path or settings_file(environ)
    raw = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            msg = f"{path}: {exc}"
            raise SettingsError(msg) from exc
    try:
        settings = msgspec.convert(raw, Settings)
    except msgspec.ValidationError as exc:
        # msgspec names the key as a path, e.g. "Expected `int`, got `str` - at `$.database.pool_size`".
        msg = f"{path}: {exc}"
        raise SettingsError(msg) from exc
    # The file's database lives beside the file, whatever the working directory (a URL from
    # the environment is taken as given, relative to where the command runs).
    database = msgspec.structs.replace(settings.database, url=_anchor_sqlite_path(settings.database.url, path.parent))
    return _apply_environment(msgspec.structs.replace(settings, database=database), environ)


def _anchor_sqlite_path(url: str, directory: Path) -> str:
    """``url`` with a relative SQLite file path made absolute against ``directory``."""
    try:
        parsed = make_url(url)
    except ArgumentError:  # not a URL: SQLAlchemy says so where it is used
        return url
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    if Path(parsed.database).is_absolute() or parsed.database.startswith("file:"):
        return url
    return parsed.set(database=str(directory.resolve() / parsed.database)).render_as_string(hide_password=False)
