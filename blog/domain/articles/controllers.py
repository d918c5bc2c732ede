"""``/articles``: create, read, update and delete articles; and ``/authors/{id}/articles``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any

from advanced_alchemy.filters import StatementFilter
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.dto import DTOData
from litestar.enums import MediaType
from litestar.params import JSONBody, QueryParameter
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy import ColumnElement

from blog.domain.articles.models import Article
from blog.domain.articles.publishing import PublicOnly, Unpublished, now, unpublished
from blog.domain.articles.schemas import ArticleCreate, ArticleId, ArticleRead, ArticleUpdate
from blog.domain.articles.services import ArticleService, of_author
from blog.domain.authors.models import Author
from blog.domain.authors.schemas import AuthorId
from blog.errors import problem_responses
from blog.fields import ID_BOUNDS
from blog.listing import PAGING_HEADERS, Filters, Listing, SearchQuery, paged_response
from blog.openapi import VERSION_HEADERS, IfMatch, location_header
from blog.security import PUBLIC, SECURED, SEND_A_TOKEN, TokenMissingError, reader_of
from blog.service import read_provider, write_provider
from blog.settings import Settings

TagParameter = Annotated[
    str | None,
    QueryParameter(
        min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$", description="Only the articles with this tag."
    ),
]


StatusParameter = Annotated[
    Unpublished | None,
    QueryParameter(
        description=(
            "`draft`: your drafts; `scheduled`: your articles published for a time still to come. "
            "Needs a token. Without it, only public articles are listed."
        )
    ),
]


async def article_scope(
    request: Request[Any, Any, Any],
    articles: NamedDependency[ArticleService],
    author_id: Annotated[int | None, QueryParameter(**ID_BOUNDS, description="Only this author's articles.")] = None,
    tag: TagParameter = None,
    status: StatusParameter = None,
    q: SearchQuery = None,
) -> list[StatementFilter | ColumnElement[bool]]:
    """``GET /articles``'s own parameters: ``author_id``, ``tag``, ``status`` (the caller's own) and ``q``."""
    scope: list[StatementFilter | ColumnElement[bool]] = [] if author_id is None else [of_author(author_id)]
    if status is None:
        scope.append(PublicOnly(now()))
    else:
        caller = await reader_of(request)
        if caller is None:
            raise TokenMissingError(f"`status={status}` lists your own articles. {SEND_A_TOKEN}")
        scope.append(unpublished(status, caller.id, now()))
    if tag is not None:
        scope.append(await articles.tagged(tag))
    if q is not None:
        scope += _search(request, articles, q)
    return scope


async def author_article_scope(
    request: Request[Any, Any, Any],
    articles: NamedDependency[ArticleService],
    author_id: AuthorId,
    tag: TagParameter = None,
    q: SearchQuery = None,
) -> list[StatementFilter | ColumnElement[bool]]:
    """``GET /authors/{author_id}/articles``'s: the author (404 if there is none), public articles, ``tag``, ``q``."""
    scope: list[StatementFilter | ColumnElement[bool]] = [await articles.of_existing_author(author_id)]
    scope.append(PublicOnly(now()))
    if tag is not None:
        scope.append(await articles.tagged(tag))
    if q is not None:
        scope += _search(request, articles, q)
    return scope


def _search(
    request: Request[Any, Any, Any], articles: ArticleService, q: str
) -> list[StatementFilter | ColumnElement[bool]]:
    """``?q=``: in the configured language, ranked unless the request says ``orderBy``."""
    settings: Settings = request.app.state["settings"]
    return articles.matching(q, settings.search.language, ranked="orderBy" not in request.query_params)


ARTICLE_LISTING = Listing(
    sort_fields=("id", "published_at", "created_at", "updated_at", "title"),
    default_sort="published_at",
    default_order="desc",
    search_fields=("title",),
    scope=article_scope,
)
AUTHOR_ARTICLE_LISTING = replace(ARTICLE_LISTING, scope=author_article_scope)
READS = {"articles": read_provider(ArticleService)}


def _id_of(author: Author | None) -> int | None:
    return author.id if author is not None else None


class ArticleController(Controller):
    """Articles, each written by one author."""

    path = "/articles"
    tags = ["Articles"]
    dependencies = {"articles": write_provider(ArticleService)}
    return_dto = ArticleRead

    @get(
        operation_id="listArticles",
        # Named because Litestar documents a DTO-encoded `Response` with an empty media type.
        media_type=MediaType.JSON,
        summary="List articles",
        opt=PUBLIC,
        dependencies={**READS, **ARTICLE_LISTING.dependencies()},
        response_headers=PAGING_HEADERS,
        responses=problem_responses(400, 401),
    )
    async def list_articles(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        filters: Filters,
    ) -> Response[Sequence[Article]]:
        """A page of public articles, newest published first unless `orderBy` says otherwise.

        The body is a plain array; `X-Total-Count` says how many articles match in all and
        `Link` points to the first, previous, next and last pages. `searchString` matches
        titles; `author_id` keeps one author's articles, `tag` the articles with that tag.
        `status=draft` or `status=scheduled` lists your own unpublished articles instead (with
        your token).
        """
        items, total = await articles.read_page(filters)
        return paged_response(request, items, total, filters)

    @post(
        operation_id="createArticle",
        media_type=MediaType.JSON,
        summary="Write an article",
        dto=ArticleCreate,
        security=SECURED,
        response_headers=[location_header(example="/articles/1")],
        responses=problem_responses(400, 401, 403, 404, 409, body=True),
    )
    async def create_article(
        self,
        request: Request[Author, Token, Any],
        articles: NamedDependency[ArticleService],
        data: JSONBody[DTOData[Article]],
    ) -> Response[Article]:
        """Write an article: you are its author.

        `title` and `content` (Markdown: CommonMark, with tables and strikethrough; the answer
        carries it rendered as safe HTML in `content_html`) are required; `description`
        (default `""`) and `tags` (at most 20, in the order given) are optional. The article
        is published at once unless `status` is `"draft"`; a future `published_at` schedules
        it. `author_id` may be left out; if sent, it must be your own id (403 otherwise, 404 if
        no author has it). The slug is made from the title. The answer carries the new article
        and, in `Location`, its URL.
        """
        article = await articles.create_by(request.user.id, data.as_builtins())
        location = request.app.route_reverse("get_article", article_id=article.id)
        return Response(article, status_code=HTTP_201_CREATED, headers={"Location": location})

    @get(
        "/{article_id:int}",
        name="get_article",
        operation_id="getArticle",
        media_type=MediaType.JSON,
        summary="Get an article",
        opt=PUBLIC,
        dependencies=READS,
        response_headers=VERSION_HEADERS,
        responses=problem_responses(400, 401, 404),
    )
    async def get_article(
        self, request: Request[Any, Any, Any], articles: NamedDependency[ArticleService], article_id: ArticleId
    ) -> Response[Article]:
        """One article by id; 404 with `"detail": "Article does not exist"` if there is none.

        A draft, or an article scheduled for later, is found by its author only (with their
        token); for anyone else it does not exist. `ETag` and `Last-Modified` let a client
        revalidate its copy (`If-None-Match`: 304 if unchanged) and edit safely (`If-Match`).
        """
        article = await articles.read(article_id, reader_id=_id_of(await reader_of(request)))
        return Response(article, headers=articles.validators(article))

    @patch(
        "/{article_id:int}",
        operation_id="updateArticle",
        media_type=MediaType.JSON,
        summary="Update your article",
        dto=ArticleUpdate,
        security=SECURED,
        response_headers=VERSION_HEADERS,
        responses=problem_responses(400, 401, 403, 404, 409, 412, body=True),
    )
    async def update_article(
        self,
        request: Request[Author, Token, Any],
        articles: NamedDependency[ArticleService],
        article_id: ArticleId,
        data: JSONBody[DTOData[Article]],
        if_match: IfMatch = None,
    ) -> Response[Article]:
        """Change any of `title`, `description`, `content`, `tags`, `status` and `published_at`.

        Fields left out keep their value. `tags` replaces the list (`[]` clears it); a new
        title gives a new slug. `"status": "draft"` unpublishes the article (and clears
        `published_at`); `"status": "published"` publishes a draft now, or at `published_at`.
        Only the article's author may (403 otherwise; 404 for a draft of someone else's);
        `author_id` may only restate them. With `If-Match` (the `ETag` you read), the change is
        made only if nobody changed the article since: 412 otherwise. The answer's `ETag` is
        the new version's.
        """
        article = await articles.update_owned(
            data.as_builtins(), item_id=article_id, owner_id=request.user.id, if_match=if_match
        )
        return Response(article, headers=articles.validators(article))

    @delete(
        "/{article_id:int}",
        operation_id="deleteArticle",
        summary="Delete your article",
        security=SECURED,
        responses=problem_responses(400, 401, 403, 404, 412),
        return_dto=None,
    )
    async def delete_article(
        self,
        request: Request[Author, Token, Any],
        articles: NamedDependency[ArticleService],
        article_id: ArticleId,
        if_match: IfMatch = None,
    ) -> None:
        """Delete the article. Only its author may (403 otherwise); with `If-Match`, only if it is
        still that version (412 otherwise)."""
        await articles.delete_owned(article_id, owner_id=request.user.id, if_match=if_match)


class AuthorArticleController(Controller):
    """One author's articles."""

    path = "/authors/{author_id:int}/articles"
    tags = ["Articles"]
    opt = PUBLIC
    dependencies = {**READS, **AUTHOR_ARTICLE_LISTING.dependencies()}
    return_dto = ArticleRead

    @get(
        operation_id="listAuthorArticles",
        media_type=MediaType.JSON,
        summary="List an author's articles",
        response_headers=PAGING_HEADERS,
        responses=problem_responses(400, 404),
    )
    async def list_author_articles(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        filters: Filters,
        author_id: AuthorId,
    ) -> Response[Sequence[Article]]:
        """A page of the author's public articles, newest published first; 404 if the author does not exist.

        Takes the same query parameters, and answers with the same headers, as `GET /articles`.
        """
        items, total = await articles.read_page(filters)
        return paged_response(request, items, total, filters)
