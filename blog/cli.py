"""The app's own commands, beside Litestar's: ``litestar blog seed``.

Litestar's CLI hands a command its app when the command takes an ``app`` parameter; the
app carries its settings in ``app.state.settings`` (``blog.app.create_app``).
"""

from __future__ import annotations

import asyncio
import time

import click
from litestar import Litestar
from litestar.plugins import CLIPlugin

from blog.seed import fill


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


class BlogCLIPlugin(CLIPlugin):
    """Adds the ``blog`` command group to Litestar's CLI."""

    def on_cli_init(self, cli: click.Group) -> None:
        @cli.group(name="blog")
        def blog() -> None:
            """The blog's own commands."""

        # Litestar's groups make commands that receive the app.
        blog.command(name="seed")(seed)
