"""``/authors``: create, read, update and delete authors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.dto import DTOData
from litestar.enums import MediaType
from litestar.params import JSONBody
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED

from blog.domain.authors.models import Author
from blog.domain.authors.schemas import AccountRead, AuthorCreate, AuthorId, AuthorRead, AuthorUpdate
from blog.domain.authors.services import AuthorService
from blog.errors import problem_responses
from blog.listing import PAGING_HEADERS, Filters, Listing, paged_response
from blog.openapi import VERSION_HEADERS, IfMatch, location_header
from blog.security import PUBLIC, SECURED
from blog.service import read_provider, write_provider

AUTHOR_LISTING = Listing(
    sort_fields=("id", "created_at", "updated_at", "last_name"),
    default_sort="id",
    default_order="asc",
    search_fields=("first_name", "last_name"),
)
READS = {"authors": read_provider(AuthorService)}


class AuthorController(Controller):
    """Authors of the blog, who are its accounts."""

    path = "/authors"
    tags = ["Authors"]
    dependencies = {"authors": write_provider(AuthorService)}
    return_dto = AuthorRead

    @get(
        operation_id="listAuthors",
        # Named because Litestar documents a DTO-encoded `Response` with an empty media type.
        media_type=MediaType.JSON,
        summary="List authors",
        opt=PUBLIC,
        dependencies={**READS, **AUTHOR_LISTING.dependencies()},
        response_headers=PAGING_HEADERS,
        responses=problem_responses(400),
    )
    async def list_authors(
        self, request: Request[Any, Any, Any], authors: NamedDependency[AuthorService], filters: Filters
    ) -> Response[Sequence[Author]]:
        """A page of authors, by `id` unless `orderBy` says otherwise.

        The body is a plain array; `X-Total-Count` says how many authors match in all and
        `Link` points to the first, previous, next and last pages. `searchString` matches
        first or last names.
        """
        items, total = await authors.list_page(filters)
        return paged_response(request, items, total, filters)

    @post(
        operation_id="createAuthor",
        media_type=MediaType.JSON,
        summary="Sign up",
        opt=PUBLIC,
        dto=AuthorCreate,
        return_dto=AccountRead,
        response_headers=[location_header(example="/authors/1")],
        responses=problem_responses(400, 409, body=True),
    )
    async def create_author(
        self, request: Request[Any, Any, Any], authors: NamedDependency[AuthorService], data: JSONBody[DTOData[Author]]
    ) -> Response[Author]:
        """Create an account: `username`, `email` and `password` are required, the rest optional.

        The answer carries the new author, with the e-mail address (only its owner ever sees
        it), and in `Location` its URL. A username or e-mail address another account has,
        whatever the case, is a 409 naming it. Then log in with `POST /auth/token`.
        """
        author = await authors.sign_up(data.as_builtins())
        location = request.app.route_reverse("get_author", author_id=author.id)
        return Response(author, status_code=HTTP_201_CREATED, headers={"Location": location})

    @get(
        "/{author_id:int}",
        name="get_author",
        operation_id="getAuthor",
        media_type=MediaType.JSON,
        summary="Get an author",
        opt=PUBLIC,
        dependencies=READS,
        response_headers=VERSION_HEADERS,
        responses=problem_responses(400, 404),
    )
    async def get_author(self, authors: NamedDependency[AuthorService], author_id: AuthorId) -> Response[Author]:
        """One author by id; 404 with `"detail": "Author does not exist"` if there is none.

        `ETag` and `Last-Modified` let a client revalidate its copy and edit safely (`If-Match`).
        """
        author = await authors.get(author_id)
        return Response(author, headers=authors.validators(author))

    @patch(
        "/{author_id:int}",
        operation_id="updateAuthor",
        media_type=MediaType.JSON,
        summary="Update your account",
        dto=AuthorUpdate,
        return_dto=AccountRead,
        security=SECURED,
        response_headers=VERSION_HEADERS,
        responses=problem_responses(400, 401, 403, 404, 409, 412, body=True),
    )
    async def update_author(
        self,
        request: Request[Author, Token, Any],
        authors: NamedDependency[AuthorService],
        author_id: AuthorId,
        data: JSONBody[DTOData[Author]],
        if_match: IfMatch = None,
    ) -> Response[Author]:
        """Change any of your account's fields, the password included; fields left out keep their value.

        Only the account's owner may (403 otherwise). `updated_at` moves to the time of the change.
        With `If-Match` (the `ETag` you read), only if nobody changed the account since (412
        otherwise); the answer's `ETag` is the new version's.
        """
        author = await authors.update_owned(
            data.as_builtins(), item_id=author_id, owner_id=request.user.id, if_match=if_match
        )
        return Response(author, headers=authors.validators(author))

    @delete(
        "/{author_id:int}",
        operation_id="deleteAuthor",
        summary="Delete your account and your articles",
        security=SECURED,
        responses=problem_responses(400, 401, 403, 404, 412),
        return_dto=None,
    )
    async def delete_author(
        self,
        request: Request[Author, Token, Any],
        authors: NamedDependency[AuthorService],
        author_id: AuthorId,
        if_match: IfMatch = None,
    ) -> None:
        """Delete the account; every article it wrote is deleted with it. Only its owner may (403
        otherwise); with `If-Match`, only if it is still that version (412 otherwise)."""
        await authors.delete_owned(author_id, owner_id=request.user.id, if_match=if_match)
