"""``/auth``: log in (a token for a username or e-mail address and a password), and who am I."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import SkipValidation
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_200_OK

from blog.domain.auth.schemas import BODY_MEDIA_TYPES, TOKEN_REQUEST_FIELDS, TokenOperation, TokenRequest, TokenResponse
from blog.domain.auth.services import LoginThrottle, log_in
from blog.domain.authors.models import Author
from blog.domain.authors.schemas import AccountRead
from blog.domain.authors.services import AuthorService
from blog.errors import problem_responses
from blog.security import PUBLIC, SECURED, BearerAuth
from blog.service import read_provider
from blog.validation import body_errors

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def _token_request(request: Request[Any, Any, Any]) -> TokenRequest:
    """The body, as a form or as JSON, with every bad field named in one 400."""
    if request.content_type[0] == RequestEncodingType.URL_ENCODED:
        body: Any = dict((await request.form()).items())
    else:
        try:
            body = msgspec.json.decode(await request.body())
        except msgspec.DecodeError as exc:
            raise ValidationException(detail=f"Invalid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValidationException(detail="Expected an object with `username` and `password`")
    if errors := body_errors(body, TOKEN_REQUEST_FIELDS):
        raise ValidationException(detail="Invalid request body", extra=errors)
    return msgspec.convert(body, TokenRequest)


class AuthController(Controller):
    """Tokens, and the account they belong to."""

    path = "/auth"
    tags = ["Auth"]

    @post(
        "/token",
        operation_id="createToken",
        summary="Log in",
        status_code=HTTP_200_OK,
        dependencies={"authors": read_provider(AuthorService)},
        opt={**PUBLIC, "body_media_types": BODY_MEDIA_TYPES},
        operation_class=TokenOperation,
        responses=problem_responses(400, 401, 429, body=True),
    )
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        authors: NamedDependency[AuthorService],
        bearer: NamedDependency[SkipValidation[BearerAuth]],
        login_throttle: NamedDependency[SkipValidation[LoginThrottle]],
    ) -> Response[TokenResponse]:
        """A bearer token for an account: the OAuth 2.0 password grant.

        Send `username` (or the e-mail address) and `password`, as a form
        (`application/x-www-form-urlencoded`, with `grant_type=password`) or as JSON. Use the
        token as `Authorization: Bearer <access_token>`; it expires after `expires_in` seconds.
        A wrong username and a wrong password get the same 401. After too many failed
        attempts for one account, or from one address, in a minute: 429 with `Retry-After`.
        """
        login = await _token_request(request)
        address = request.client.host if request.client else "unknown"
        author = await log_in(authors, login_throttle, login.username, login.password, address)
        token, lifetime = bearer.issue(author.id)
        return Response(TokenResponse(access_token=token, token_type="bearer", expires_in=lifetime), headers=NO_STORE)

    @get(
        "/me",
        operation_id="getMe",
        summary="Who am I",
        return_dto=AccountRead,
        security=SECURED,
        responses=problem_responses(401),
    )
    async def me(self, request: Request[Author, Token, Any]) -> Author:
        """The account the token belongs to, with its e-mail address."""
        return request.user
