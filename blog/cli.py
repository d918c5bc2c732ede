"""The app's own commands, beside Litestar's: ``litestar blog seed``, ``litestar users set-password``.

Litestar's CLI hands a command its app when the command takes an ``app`` parameter; the
app carries its settings in ``app.state.settings`` (``blog.app.create_app``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click
from advanced_alchemy.exceptions import NotFoundError
from litestar import Litestar
from litestar.plugins import CLIPlugin

from blog.database import check_before_serving, database, describe_database_error
from blog.domain.authors.models import PASSWORD_LIMITS
from blog.domain.authors.services import AuthorService
from blog.security import development_secret
from blog.seed import fill
from blog.settings import settings_file
from blog.startup import install_cli_excepthook
from blog.validation import BodyField, body_errors, constrained

PASSWORD = BodyField(type=constrained(str, PASSWORD_LIMITS), required=True)


@click.option("--authors", type=click.IntRange(min=0), default=100, show_default=True, help="Authors to add.")
@click.option("--articles", type=click.IntRange(min=0), default=1_000, show_default=True, help="Articles to add.")
@click.option("--database-url", help="Another database than the app's (a SQLAlchemy URL).")
@click.option("--seed", "seed_", type=int, default=1, show_default=True, help="The same seed gives the same rows.")
def seed(app: Litestar, authors: int, articles: int, database_url: str | None, seed_: int) -> None:
    """Add generated authors and articles to a migrated database (COPY on PostgreSQL)."""
    if articles and not authors:
        raise click.UsageError("articles need authors: pass --authors too")
    started = time.perf_counter()
    asyncio.run(fill(database_url or app.state.settings.database.url, authors, articles, seed_))
    click.echo(f"added {authors} authors and {articles} articles in {time.perf_counter() - started:.1f} s")


def _checked_password(value: str) -> str:
    if errors := body_errors({"password": value}, {"password": PASSWORD}):
        raise click.BadParameter(errors[0]["message"])
    return value


@click.argument("username")
def set_password(app: Litestar, username: str) -> None:
    """Give the account USERNAME a new password, typed twice at a prompt (never an argument)."""
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True, value_proc=_checked_password)

    async def store() -> None:
        db = database(app.state.settings.database)
        try:
            async with db.writes.get_session() as session:
                await AuthorService(session=session).set_password(username, password)
        finally:
            await db.engine.dispose()

    try:
        asyncio.run(store())
    except NotFoundError:
        raise click.ClickException(f"no account is named {username!r}") from None
    click.echo(f"{username}'s password is set.")


class BlogCLIPlugin(CLIPlugin):
    """Adds the ``blog`` and ``users`` command groups to Litestar's CLI, and reports a database
    that cannot be used (``litestar database upgrade`` on a server that is down) in two lines."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    @contextmanager
    def server_lifespan(self, app: Litestar) -> Iterator[None]:
        """``litestar run``: the database is checked once, before the server (and its reloader)
        starts; without ``auth.secret``, tokens are signed with the development key."""
        check_before_serving(app.state.settings, debug=app.debug)
        with development_secret(app.state.settings.auth, settings_file()):
            yield

    def on_cli_init(self, cli: click.Group) -> None:
        install_cli_excepthook(lambda error: describe_database_error(error, self.database_url))

        # Litestar's groups make commands that receive the app (an `app` parameter).
        @cli.group(name="blog")
        def blog() -> None:
            """The blog's own commands."""

        blog.command(name="seed")(seed)

        @cli.group(name="users")
        def users() -> None:
            """The blog's accounts."""

        users.command(name="set-password")(set_password)
