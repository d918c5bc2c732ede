"""``/authors``: create, read, update and delete authors, and list an author's articles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.dto import DTOData
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from blog.controllers.params import AuthorId
from blog.dtos import ArticleRead, AuthorCreate, AuthorRead, AuthorUpdate
from blog.errors import problem_responses
from blog.models import Article, Author
from blog.services import ArticleService, AuthorService, provide_article_service, provide_author_service


class AuthorController(Controller):
    """Authors of the blog."""

    path = "/authors"
    tags = ["Authors"]
    dependencies = {
        "authors": Provide(provide_author_service),
        "articles": Provide(provide_article_service),
    }
    return_dto = AuthorRead

    @get(
        operation_id="listAuthors",
        summary="List authors",
        responses=problem_responses(400),
    )
    async def list_authors(self, authors: NamedDependency[AuthorService]) -> Sequence[Author]:
        """All authors, oldest first (by `id`)."""
        return await authors.get_many(order_by=[("id", False)])

    @post(
        operation_id="createAuthor",
        summary="Create an author",
        dto=AuthorCreate,
        responses=problem_responses(400),
    )
    async def create_author(
        self, request: Request[Any, Any, Any], authors: NamedDependency[AuthorService], data: JSONBody[DTOData[Author]]
    ) -> Response[Author]:
        """Create an author. The answer carries the new author and, in `Location`, its URL.

        `id`, `created_at` and `updated_at` are set by the server; sending them is a 400.
        """
        author = await authors.create(data.as_builtins(), auto_commit=True)
        location = request.app.route_reverse("get_author", author_id=author.id)
        return Response(author, status_code=HTTP_201_CREATED, headers={"Location": location})

    @get(
        "/{author_id:int}",
        name="get_author",
        operation_id="getAuthor",
        summary="Get an author",
        responses=problem_responses(400, 404),
    )
    async def get_author(self, authors: NamedDependency[AuthorService], author_id: AuthorId) -> Author:
        """One author by id; 404 with `"detail": "Author does not exist"` if there is none."""
        return await authors.get(author_id)

    @patch(
        "/{author_id:int}",
        operation_id="updateAuthor",
        summary="Update an author",
        dto=AuthorUpdate,
        responses=problem_responses(400, 404),
    )
    async def update_author(
        self, authors: NamedDependency[AuthorService], author_id: AuthorId, data: JSONBody[DTOData[Author]]
    ) -> Author:
        """Change any of `first_name` and `last_name`; fields left out keep their value.

        `updated_at` moves to the time of the change.
        """
        return await authors.update(data.as_builtins(), item_id=author_id, auto_commit=True)

    @delete(
        "/{author_id:int}",
        operation_id="deleteAuthor",
        summary="Delete an author and their articles",
        responses=problem_responses(400, 404),
        return_dto=None,
    )
    async def delete_author(self, authors: NamedDependency[AuthorService], author_id: AuthorId) -> None:
        """Delete the author; every article they wrote is deleted with them."""
        await authors.delete(author_id, auto_commit=True)

    @get(
        "/{author_id:int}/articles",
        operation_id="listAuthorArticles",
        summary="List an author's articles",
        return_dto=ArticleRead,
        responses=problem_responses(400, 404),
    )
    async def list_author_articles(
        self, authors: NamedDependency[AuthorService], articles: NamedDependency[ArticleService], author_id: AuthorId
    ) -> Sequence[Article]:
        """The author's articles, newest first; 404 if the author does not exist."""
        await authors.ensure_exists(author_id)
        return await articles.get_many(Article.author_id == author_id, order_by=[("created_at", True), ("id", True)])
