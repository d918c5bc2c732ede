"""Who may see an article, and when: drafts, scheduled and public articles.

An article is **public** when its status is ``published`` and its ``published_at`` has
come. Nothing runs when a scheduled article's time comes: every query asks for public
articles as of *now*, so the article is simply found from that moment on. A draft or a
scheduled article exists for its author only; for anyone else it is missing (404), exactly
as an id that was never used.

The conditions are written on the ``article`` table's columns, so that they serve the Core
reads (``BlogService.read_page``) as well as the ORM's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_
from sqlalchemy.sql.elements import BindParameter

from blog.domain.articles.models import DRAFT, PUBLISHED, Article
from blog.service import BoundFilter

ARTICLE = cast("Table", Article.__table__)
Unpublished = Literal["draft", "scheduled"]
"""What ``?status=`` lists: the caller's own drafts, or their articles scheduled for later."""


def now() -> datetime:
    """The moment the visibility rule is applied at (the server's clock, in UTC)."""
    return datetime.now(UTC)


def public(moment: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Only the articles anyone may read at ``moment``."""
    return and_(ARTICLE.c.status == PUBLISHED, ARTICLE.c.published_at <= moment)


def visible_to(reader_id: int | None, moment: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """The public articles, and the reader's own whatever their state."""
    if reader_id is None:
        return public(moment)
    return or_(public(moment), ARTICLE.c.author_id == reader_id)


VISIBLE_BY_ID = or_(public(bindparam("now")), ARTICLE.c.author_id == bindparam("reader_id"))
"""``visible_to`` with its values as parameters (``now``, ``reader_id``): for statements built once."""


def unpublished(state: Unpublished, author_id: int, moment: datetime) -> ColumnElement[bool]:
    """The author's drafts, or their articles scheduled for later than ``moment``."""
    if state == "draft":
        return and_(ARTICLE.c.status == DRAFT, ARTICLE.c.author_id == author_id)
    return and_(ARTICLE.c.status == PUBLISHED, ARTICLE.c.published_at > moment, ARTICLE.c.author_id == author_id)


def not_yet_public(moment: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Every article that is not public at ``moment``: drafts, and those scheduled for later."""
    return or_(ARTICLE.c.status == DRAFT, and_(ARTICLE.c.status == PUBLISHED, ARTICLE.c.published_at > moment))


@dataclass(frozen=True)
class PublicOnly(BoundFilter):
    """A listing's filter: the articles public at ``moment``.

    A filter of its own (not a plain condition) so that a listing can tell it apart: the
    number of public articles is the table's count minus the few that are not public yet,
    which an index counts at once (``ArticleService``). Its SQL is the same at every moment,
    so a listing's statement is built once (``BoundFilter``).
    """

    moment: datetime

    def append_to_statement(self, statement: Any, model: Any) -> Any:
        return statement.where(public(self.moment))

    @classmethod
    @cache
    def condition(cls) -> ColumnElement[bool]:
        return public(bindparam("now"))

    def parameters(self) -> dict[str, Any]:
        return {"now": self.moment}


def is_public(article: Article, moment: datetime) -> bool:
    """Whether ``article`` (as loaded) is public at ``moment``."""
    return article.status == PUBLISHED and article.published_at is not None and article.published_at <= moment


def publication(changes: Mapping[str, Any], current: Article | None, moment: datetime) -> dict[str, Any]:
    """``status`` and ``published_at`` after a write of ``changes`` to ``current`` (``None``: a new article).

    A draft has no ``published_at`` (one sent with it is dropped: making an article a draft
    clears it). A published article has one: the one given (a future one schedules it), else
    the one it had, else ``moment`` (the moment of publishing).
    """
    status = changes.get("status", current.status if current is not None else PUBLISHED)
    given = changes.get("published_at")
    if status == DRAFT:
        return {"status": DRAFT, "published_at": None}
    if given is not None:
        return {"status": PUBLISHED, "published_at": given.astimezone(UTC)}
    if current is not None and current.status == PUBLISHED and current.published_at is not None:
        return {"status": PUBLISHED, "published_at": current.published_at}
    return {"status": PUBLISHED, "published_at": moment}
