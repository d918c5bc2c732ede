"""What ``POST /auth/token`` takes and answers: the OAuth 2.0 password grant (RFC 6749, 4.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)

from blog.fields import ONE_LINE
from blog.validation import BodyField, struct_fields

LOGIN_PATTERN = ONE_LINE
"""No control characters: a login is compared with stored names (PostgreSQL refuses a NUL)."""
Login = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=254, pattern=LOGIN_PATTERN, description="A username or an e-mail address."),
]
Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Optional = Annotated[str | None, msgspec.Meta(description="Accepted, as RFC 6749 allows; not used.")]


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The OAuth 2.0 password grant, as a form (``application/x-www-form-urlencoded``) or as JSON."""

    username: Login
    password: Secret
    grant_type: Literal["password"] = "password"
    scope: Optional = None
    client_id: Optional = None
    client_secret: Optional = None


TOKEN_REQUEST_FIELDS: dict[str, BodyField] = struct_fields(TokenRequest)
BODY_MEDIA_TYPES = (RequestEncodingType.URL_ENCODED, RequestEncodingType.JSON)


class TokenResponse(msgspec.Struct):
    """A bearer token: send it as `Authorization: Bearer <access_token>`."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    """Seconds until it expires."""


@dataclass
class TokenOperation(Operation):
    """The operation's OpenAPI description: one body in either media type.

    Litestar describes the body from a handler's ``data`` parameter, which has one media
    type; this handler reads the request itself, so its body is described here.

    It is described as a form only, OAuth 2.0's encoding; the same fields as JSON are accepted
    too, as the operation's description says. Described under both media types, the body
    makes openapi-python-client generate a ``create_token`` module that cannot be imported
    (it annotates the body ``| Unset`` without importing ``Unset``:
    https://github.com/openapi-generators/openapi-python-client/issues/1451).
    """

    def __post_init__(self) -> None:
        properties: dict[str, Reference | Schema] = {
            "grant_type": Schema(type=OpenAPIType.STRING, enum=["password"], description="`password` (the default)."),
            "username": Schema(
                type=OpenAPIType.STRING,
                min_length=1,
                max_length=254,
                pattern=LOGIN_PATTERN,
                description="A username or an e-mail address.",
            ),
            "password": Schema(type=OpenAPIType.STRING, min_length=1, max_length=256),
            **{
                name: Schema(type=OpenAPIType.STRING, description="Accepted; not used.")
                for name in ("scope", "client_id", "client_secret")
            },
        }
        schema = Schema(
            type=OpenAPIType.OBJECT,
            properties=properties,
            required=["password", "username"],
            additional_properties=False,
            examples=[{"grant_type": "password", "username": "ada", "password": "correct horse battery staple"}],
        )
        self.request_body = RequestBody(
            required=True, content={RequestEncodingType.URL_ENCODED: OpenAPIMediaType(schema=schema)}
        )
