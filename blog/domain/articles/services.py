"""The articles' business rules: slugs, tags, favourites, and who may change an article."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from advanced_alchemy.exceptions import DuplicateKeyError, NotFoundError
from advanced_alchemy.filters import ComparisonFilter, LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.repository import SQLAlchemyAsyncRepository, SQLAlchemyAsyncSlugRepository
from advanced_alchemy.service import (
    ErrorMessages,
    ModelDictT,
    SQLAlchemyAsyncRepositoryService,
    find_filter,
    is_dict,
)
from advanced_alchemy.utils.text import slugify
from sqlalchemy import ColumnElement, Table, bindparam, false, func, literal, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from blog.domain.articles.markdown import render
from blog.domain.articles.models import Article, ArticleTag, Favorite, tag_names
from blog.domain.articles.publishing import (
    ARTICLE,
    VISIBLE_BY_ID,
    PublicOnly,
    is_public,
    not_yet_public,
    now,
    publication,
    visible_to,
)
from blog.domain.articles.search import search
from blog.domain.authors.models import Author
from blog.domain.authors.services import AuthorService
from blog.domain.profiles.models import Follow
from blog.domain.profiles.services import FollowService
from blog.domain.tags.models import Tag
from blog.service import BlogRepository, BlogService, NotOwnerError, row_count_of

ARTICLE_NOT_FOUND = "Article does not exist"
NOT_YOURS = "An article's author_id can only be its author's own id."
SLUG_LENGTH = 80
"""A slug's length before its suffix: room for `-x7k2` under the column's 100 characters."""
RESERVED_SLUGS = frozenset({"feed"})
"""Slugs an article cannot have: `/api/articles/feed` is the reader's feed, not an article."""
ARTICLE_TAG = cast("Table", ArticleTag.__table__)
FEED_SIZE = 20
"""Articles in a feed."""
NEWEST_PUBLISHED = OrderBy("published_at", "desc")
PUBLIC_COUNT = select(
    row_count_of("article").scalar_subquery()
    - select(func.count()).select_from(ARTICLE).where(not_yet_public(bindparam("now"))).scalar_subquery()
)
"""How many articles are public at ``now``: all of them (kept by triggers) but the drafts and
the scheduled ones (few, each in a partial index); one statement."""
"""The order of public listings: newest published first (then the newest id)."""


def of_author(author_id: int) -> ComparisonFilter:
    """Only this author's articles."""
    return ComparisonFilter(field_name="author_id", operator="eq", value=author_id)


def by_username(username: str) -> ColumnElement[bool]:
    """Only the articles of the author with this username (whatever its case)."""
    return (
        Article.author_id == select(Author.id).where(func.lower(Author.username) == username.lower()).scalar_subquery()
    )


def favorited_by(username: str) -> ColumnElement[bool]:
    """Only the articles the author with this username favourites."""
    fans = select(Favorite.article_id).join(Author, Author.id == Favorite.author_id)
    return Article.id.in_(fans.where(func.lower(Author.username) == username.lower()))


def followed_by(author_id: int) -> ColumnElement[bool]:
    """Only the articles of the authors ``author_id`` follows: their feed."""
    return Article.author_id.in_(select(Follow.followed_id).where(Follow.follower_id == author_id))


def _with_tag_names(article: Article) -> Article:
    """``article`` just written, its ``tag_names`` as a read would now give them, without a read.

    A flush leaves the column expired (the database computes it), and loading it later
    would be I/O outside the service.
    """
    set_committed_value(article, "tag_names", [link.name for link in article.tag_links])
    return article


class FavoriteService(SQLAlchemyAsyncRepositoryService[Favorite, "FavoriteService.Repo"]):
    """Who favourites what."""

    class Repo(SQLAlchemyAsyncRepository[Favorite]):
        model_type = Favorite

    repository_type = Repo

    async def favorited(self, author_id: int, article_ids: Sequence[int]) -> set[int]:
        """Which of ``article_ids`` ``author_id`` favourites (one statement, for a whole page)."""
        if not article_ids:
            return set()
        rows = await self.get_many(Favorite.author_id == author_id, Favorite.article_id.in_(article_ids))
        return {row.article_id for row in rows}


class ArticleService(BlogService[Article, "ArticleService.Repo"]):
    """Articles. The caller is the author of what they write; only they may change or delete it."""

    class Repo(BlogRepository[Article], SQLAlchemyAsyncSlugRepository[Article]):
        model_type = Article
        error_messages: ErrorMessages | None = {"not_found": ARTICLE_NOT_FOUND}

        async def get_available_slug(self, value_to_slugify: str, **kwargs: Any) -> str:
            """Advanced Alchemy's, kept within the column and never empty (a title of emoji has no slug)."""
            slug = slugify(value_to_slugify)[:SLUG_LENGTH].strip("-_") or "article"
            if slug in RESERVED_SLUGS:
                slug = f"{slug}-1"
            while True:  # Advanced Alchemy's suffix is not checked; a clash is one in 1.7 million
                available = await super().get_available_slug(slug, **kwargs)
                if available == slug or not await self.exists(slug=available):
                    return available

    repository_type = Repo
    # Every column but the search vector (large, and never shown), and the tags.
    read_columns = (*(c for c in ARTICLE.c if c.key != "search_vector"), tag_names(ARTICLE.c.id).label("tags"))
    read_condition = VISIBLE_BY_ID
    not_owner = "Only the article's author may change or delete it."
    resource = "article"

    async def read(self, item_id: int, reader_id: int | None = None, **parameters: Any) -> Article:
        """The article as the API shows it, if ``reader_id`` may see it (see ``publishing``): anyone
        a public article, only its author a draft or a scheduled one; else ``NotFoundError``."""
        return await super().read(item_id, now=now(), reader_id=reader_id, **parameters)

    def refuse_others(self, row: Article, owner_id: int) -> None:
        """A 404 for an article not public yet and not ``owner_id``'s (its existence is not told);
        a 403 for a public one of someone else's."""
        if row.author_id != owner_id:
            if not is_public(row, now()):
                raise NotFoundError(ARTICLE_NOT_FOUND)
            raise NotOwnerError(self.not_owner, self.resource)

    async def _total(self, filters: Sequence[StatementFilter | ColumnElement[bool]], found: int) -> int:
        """As ``BlogService``'s, but the public articles are counted as all of them (a trigger-kept
        count) minus those not public yet (few, and in partial indexes), not row by row."""
        conditions = [f for f in filters if not isinstance(f, (LimitOffset, OrderBy))]
        page = find_filter(LimitOffset, filters)
        evident = page is None or (found < page.limit and (found or page.offset == 0))
        if evident or len(conditions) != 1 or not isinstance(conditions[0], PublicOnly):
            return await super()._total(filters, found)
        return int(await self.repository.session.scalar(PUBLIC_COUNT, {"now": conditions[0].moment}) or 0)

    async def of_existing_author(self, author_id: int) -> ComparisonFilter:
        """Only this author's articles; ``NotFoundError`` (404) if no author has the id."""
        await AuthorService(session=self.repository.session).ensure_exists(author_id)
        return of_author(author_id)

    async def tagged(self, name: str) -> ColumnElement[bool]:
        """A condition: only the articles with the tag ``name`` (none, if no article ever had it).

        The tag's id is looked up first and written into the statement as a constant: with it
        PostgreSQL knows from its statistics how common the tag is, and walks the newest
        articles for a common tag but starts from ``ix_article_tag_tag_id_article_id`` for a
        rare one. Through a join on the name it cannot tell, and walked every article
        (330 ms at 100,000 articles) to find a rare tag's few (docs/performance.md).
        """
        tag_id = await self.repository.session.scalar(select(Tag.id).where(Tag.name == name))
        if tag_id is None:
            return false()
        # On the tables' columns, so that it serves the reads as rows too (``read_page``).
        tagged = select(ARTICLE_TAG.c.article_id).where(ARTICLE_TAG.c.tag_id == literal(tag_id, literal_execute=True))
        return ARTICLE.c.id.in_(tagged)

    def matching(self, q: str, language: str, *, ranked: bool) -> list[StatementFilter | ColumnElement[bool]]:
        """Conditions: only the articles matching the web-search query ``q``, stemmed in
        ``language``; the best matches first if ``ranked`` (``blog.domain.articles.search``)."""
        return search(q, language, self.repository.session.get_bind().dialect.name, ranked=ranked)

    async def get_by_slug(self, slug: str, reader_id: int | None, *, with_author: bool = False) -> Article:
        """The article with this slug (and its author, if asked), if ``reader_id`` may see it;
        ``NotFoundError`` if there is none (or it is someone else's draft)."""
        load = [joinedload(Article.author)] if with_author else None
        return await self.get_one(Article.slug == slug, visible_to(reader_id, now()), load=load)

    async def page_with_authors(
        self, filters: Sequence[StatementFilter | ColumnElement[bool]]
    ) -> tuple[Sequence[Article], int]:
        """``list_page``, each article with its author and tags (in the same statement)."""
        return await self.list_page(filters, load=[joinedload(Article.author)])

    async def latest(self, *conditions: ColumnElement[bool] | StatementFilter) -> Sequence[Article]:
        """The ``FEED_SIZE`` most recently published public articles (with ``conditions``), with their authors."""
        page = [PublicOnly(now()), *conditions, LimitOffset(limit=FEED_SIZE, offset=0), NEWEST_PUBLISHED]
        return await self.get_many(*page, OrderBy("id", "desc"), load=[joinedload(Article.author)])

    async def reader_marks(self, reader_id: int | None, articles: Sequence[Article]) -> tuple[set[int], set[int]]:
        """Which of ``articles`` the reader favourites, and which of their authors the reader follows:
        two statements, whatever the number of articles (none for an anonymous reader)."""
        if reader_id is None or not articles:
            return set(), set()
        session = self.repository.session
        favorited = await FavoriteService(session=session).favorited(reader_id, [a.id for a in articles])
        followed = await FollowService(session=session).followed_among(reader_id, {a.author_id for a in articles})
        return favorited, followed

    async def create_by(self, author_id: int, data: dict[str, Any]) -> Article:
        """A new article by ``author_id`` (committed); ``data`` may restate its ``author_id``, no other.

        Published at once unless ``data`` says otherwise (``publishing.publication``); its
        content is rendered to HTML now, once.
        """
        await self._refuse_other_author(data, author_id)
        names = data.pop("tags", None) or []
        data |= publication(data, None, now())
        article = await self.create(
            {**data, "author_id": author_id, "tag_links": [], "content_html": render(data["content"])}
        )
        await self._set_tags(article, names)
        await self.commit()
        return _with_tag_names(article)

    async def update_owned(
        self, data: ModelDictT[Article], item_id: int, owner_id: int, *, if_match: str | None = None
    ) -> Article:
        article = await self.get_owned(item_id, owner_id, load=[selectinload(Article.tag_links)], if_match=if_match)
        changes = dict(cast("Mapping[str, Any]", data))
        await self._refuse_other_author(changes, owner_id)
        names = changes.pop("tags", None)
        if "title" in changes and changes["title"] != article.title:
            # A new title, a new slug: the old one may be taken by another article later.
            changes["slug"] = await self.repository.get_available_slug(changes["title"])
        if "content" in changes:
            changes["content_html"] = render(changes["content"])
        changes |= publication(changes, article, now())
        for field, value in changes.items():
            setattr(article, field, value)
        if names is not None:  # omitted keeps the tags; [] clears them
            await self._set_tags(article, names)
        article.updated_at = datetime.now(UTC)  # every successful update moves it, even one of tags only
        await self.commit()
        return _with_tag_names(article)

    async def to_model_on_create(self, data: ModelDictT[Article]) -> ModelDictT[Article]:
        """A new article's derived fields: its slug, its content as HTML, when it is published."""
        if not is_dict(data):
            return data
        if "slug" not in data:
            data = {**data, "slug": await self.repository.get_available_slug(str(data["title"]))}
        return {**data, "content_html": render(str(data["content"])), **publication(data, None, now())}

    async def favorite(self, article: Article, author_id: int) -> Article:
        """``author_id`` favourites ``article`` (committed; favouriting twice changes nothing).

        The count is kept by triggers in the database; the article is read again (with its
        author) to show it.
        """
        favorites = FavoriteService(session=self.repository.session)
        if not await favorites.exists(author_id=author_id, article_id=article.id):
            try:
                await favorites.create({"author_id": author_id, "article_id": article.id}, auto_commit=True)
            except DuplicateKeyError:  # the same favourite, at the same moment: done already
                await self.repository.session.rollback()
        return await self._fresh(article.id)

    async def unfavorite(self, article: Article, author_id: int) -> Article:
        """``author_id`` no longer favourites ``article`` (committed; a second time changes nothing)."""
        await FavoriteService(session=self.repository.session).delete_where(
            author_id=author_id, article_id=article.id, auto_commit=True
        )
        return await self._fresh(article.id)

    async def _fresh(self, article_id: int) -> Article:
        """The article as committed (its count moved by the triggers), with its author."""
        return await self.get(
            article_id, load=[joinedload(Article.author)], execution_options={"populate_existing": True}
        )

    async def _set_tags(self, article: Article, names: Sequence[str]) -> None:
        """Give ``article`` these tags, in this order; a tag is made the first time it is used.

        Links to tags it keeps are kept (only their place changes): a link removed and added
        again in one flush would be deleted after the new one is inserted, and clash with it.
        """
        session = self.repository.session
        kept = {link.name: link for link in article.tag_links}
        links = []
        for position, name in enumerate(names):
            link = kept.pop(name, None) or ArticleTag(tag=await Tag.as_unique_async(session, name=name))
            link.position = position
            links.append(link)
        article.tag_links = links

    async def _refuse_other_author(self, data: Mapping[str, Any], author_id: int) -> None:
        """An ``author_id`` other than the caller's is a 404 if nobody has it, a 403 otherwise."""
        claimed = data.get("author_id")
        if claimed is None or claimed == author_id:
            return
        await AuthorService(session=self.repository.session).ensure_exists(claimed)
        raise NotOwnerError(NOT_YOURS, self.resource)
