"""``/articles``: create, read, update and delete articles; and ``/authors/{id}/articles``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from advanced_alchemy.filters import ComparisonFilter, StatementFilter
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.dto import DTOData
from litestar.enums import MediaType
from litestar.params import JSONBody, QueryParameter, SkipValidation
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy import ColumnElement

from blog.domain.articles.models import Article
from blog.domain.articles.schemas import ArticleCreate, ArticleId, ArticleRead, ArticleUpdate
from blog.domain.articles.services import ArticleService, of_author
from blog.domain.authors.models import Author
from blog.domain.authors.schemas import AuthorId
from blog.domain.authors.services import AuthorService
from blog.errors import problem_responses
from blog.fields import ID_BOUNDS
from blog.listing import PAGING_HEADERS, Filters, Listing, paged_response
from blog.security import PUBLIC, SECURED
from blog.service import read_provider, write_provider

ARTICLE_LISTING = Listing(
    sort_fields=("id", "created_at", "updated_at", "title"),
    default_sort="created_at",
    default_order="desc",
    search_fields=("title",),
)
READS = {"articles": read_provider(ArticleService)}


def provide_author_filter(
    author_id: Annotated[int | None, QueryParameter(**ID_BOUNDS, description="Only this author's articles.")] = None,
) -> ComparisonFilter | None:
    """``?author_id=``: a dependency, so that its errors are reported with the other filters'."""
    return of_author(author_id) if author_id is not None else None


def provide_tag_filter(
    tag: Annotated[
        str | None,
        QueryParameter(
            min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$", description="Only the articles with this tag."
        ),
    ] = None,
) -> str | None:
    """``?tag=``: a dependency, so that its errors are reported with the other filters'."""
    return tag


TAG_FILTER = {"tag_filter": Provide(provide_tag_filter, sync_to_thread=False)}
TagFilter = NamedDependency[SkipValidation[str | None]]


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
        dependencies={
            **READS,
            **ARTICLE_LISTING.dependencies(),
            **TAG_FILTER,
            "author_filter": Provide(provide_author_filter, sync_to_thread=False),
        },
        response_headers=PAGING_HEADERS,
        responses=problem_responses(400),
    )
    async def list_articles(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        filters: Filters,
        author_filter: NamedDependency[SkipValidation[ComparisonFilter | None]],
        tag_filter: TagFilter,
    ) -> Response[Sequence[Article]]:
        """A page of articles, newest first unless `orderBy` says otherwise.

        The body is a plain array; `X-Total-Count` says how many articles match in all and
        `Link` points to the first, previous, next and last pages. `searchString` matches
        titles; `author_id` keeps one author's articles, `tag` the articles with that tag.
        """
        scope: list[StatementFilter | ColumnElement[bool]] = [] if author_filter is None else [author_filter]
        if tag_filter is not None:
            scope.append(await articles.tagged(tag_filter))
        items, total = await articles.read_page([*filters, *scope])
        return paged_response(request, items, total, filters)

    @post(
        operation_id="createArticle",
        media_type=MediaType.JSON,
        summary="Write an article",
        dto=ArticleCreate,
        security=SECURED,
        responses=problem_responses(400, 401, 403, 404, 409, body=True),
    )
    async def create_article(
        self,
        request: Request[Author, Token, Any],
        articles: NamedDependency[ArticleService],
        data: JSONBody[DTOData[Article]],
    ) -> Response[Article]:
        """Write an article: you are its author.

        `title` and `content` are required; `description` (default `""`) and `tags` (at most
        20, in the order given) are optional. `author_id` may be left out; if sent, it must be
        your own id (403 otherwise, 404 if no author has it). The slug is made from the title.
        The answer carries the new article and, in `Location`, its URL.
        """
        article = await articles.create_by(request.user.id, data.as_builtins())
        location = request.app.route_reverse("get_article", article_id=article.id)
        return Response(article, status_code=HTTP_201_CREATED, headers={"Location": location})

    @get(
        "/{article_id:int}",
        name="get_article",
        operation_id="getArticle",
        summary="Get an article",
        opt=PUBLIC,
        dependencies=READS,
        responses=problem_responses(400, 404),
    )
    async def get_article(self, articles: NamedDependency[ArticleService], article_id: ArticleId) -> Article:
        """One article by id; 404 with `"detail": "Article does not exist"` if there is none."""
        return await articles.read(article_id)

    @patch(
        "/{article_id:int}",
        operation_id="updateArticle",
        summary="Update your article",
        dto=ArticleUpdate,
        security=SECURED,
        responses=problem_responses(400, 401, 403, 404, 409, body=True),
    )
    async def update_article(
        self,
        request: Request[Author, Token, Any],
        articles: NamedDependency[ArticleService],
        article_id: ArticleId,
        data: JSONBody[DTOData[Article]],
    ) -> Article:
        """Change any of `title`, `description`, `content` and `tags`; fields left out keep their value.

        `tags` replaces the list (`[]` clears it); a new title gives a new slug. Only the
        article's author may (403 otherwise); `author_id` may only restate them.
        """
        return await articles.update_owned(data.as_builtins(), item_id=article_id, owner_id=request.user.id)

    @delete(
        "/{article_id:int}",
        operation_id="deleteArticle",
        summary="Delete your article",
        security=SECURED,
        responses=problem_responses(400, 401, 403, 404),
        return_dto=None,
    )
    async def delete_article(
        self, request: Request[Author, Token, Any], articles: NamedDependency[ArticleService], article_id: ArticleId
    ) -> None:
        """Delete the article. Only its author may (403 otherwise)."""
        await articles.delete_owned(article_id, owner_id=request.user.id)


class AuthorArticleController(Controller):
    """One author's articles."""

    path = "/authors/{author_id:int}/articles"
    tags = ["Articles"]
    opt = PUBLIC
    dependencies = {**READS, "authors": read_provider(AuthorService), **ARTICLE_LISTING.dependencies(), **TAG_FILTER}
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
        authors: NamedDependency[AuthorService],
        articles: NamedDependency[ArticleService],
        filters: Filters,
        tag_filter: TagFilter,
        author_id: AuthorId,
    ) -> Response[Sequence[Article]]:
        """A page of the author's articles, newest first; 404 if the author does not exist.

        Takes the same query parameters, and answers with the same headers, as `GET /articles`.
        """
        await authors.ensure_exists(author_id)
        scope: list[StatementFilter | ColumnElement[bool]] = [of_author(author_id)]
        if tag_filter is not None:
            scope.append(await articles.tagged(tag_filter))
        items, total = await articles.read_page([*filters, *scope])
        return paged_response(request, items, total, filters)
