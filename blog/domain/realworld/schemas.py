"""What the RealWorld API takes and answers: its JSON envelopes, field for field.

Request fields carry the same annotations (and so the same limits) as the native API's
models; ``blog.domain.realworld.validation`` checks them before a body is decoded. Responses
are built from the models by the ``present_*`` functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from blog.domain.articles.models import Article, Content, TagList, Title
from blog.domain.auth.schemas import Login, Secret
from blog.domain.authors.models import Author, Bio, Email, Image, Password, Username
from blog.domain.comments.models import Comment, CommentBody
from blog.fields import NO_CONTROL_BUT_BREAKS, text

# Requests. Fields a client may leave out are UNSET; unknown fields are ignored, as RealWorld
# clients send back what they were given (a user's `token`, an article's `slug`...).


class NewUser(msgspec.Struct):
    username: Username
    email: Email
    password: Password


class NewUserRequest(msgspec.Struct):
    """The body of `POST /api/users`."""

    user: NewUser


class LoginUser(msgspec.Struct):
    email: Login
    password: Secret


class LoginUserRequest(msgspec.Struct):
    """The body of `POST /api/users/login`."""

    user: LoginUser


class UpdateUser(msgspec.Struct):
    email: Email | msgspec.UnsetType = msgspec.UNSET
    username: Username | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET
    bio: Bio | msgspec.UnsetType = msgspec.UNSET
    image: Image | msgspec.UnsetType = msgspec.UNSET


class UpdateUserRequest(msgspec.Struct):
    """The body of `PUT /api/user`: the fields to change."""

    user: UpdateUser


RequiredDescription = Annotated[
    str, text(1000, NO_CONTROL_BUT_BREAKS, "1 to 1,000 characters, not blank: RealWorld requires a description.")
]
"""The native API's ``Description``, but never blank: RealWorld's rule for the texts it requires."""


class NewArticle(msgspec.Struct, rename="camel"):
    title: Title
    description: RequiredDescription
    body: Content
    tag_list: TagList = msgspec.field(default_factory=list)


class NewArticleRequest(msgspec.Struct):
    """The body of `POST /api/articles`."""

    article: NewArticle


class UpdateArticle(msgspec.Struct, rename="camel"):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: RequiredDescription | msgspec.UnsetType = msgspec.UNSET
    body: Content | msgspec.UnsetType = msgspec.UNSET
    tag_list: TagList | msgspec.UnsetType = msgspec.UNSET


class UpdateArticleRequest(msgspec.Struct):
    """The body of `PUT /api/articles/{slug}`: the fields to change; `tagList` replaces the list."""

    article: UpdateArticle


class NewComment(msgspec.Struct):
    body: CommentBody


class NewCommentRequest(msgspec.Struct):
    """The body of `POST /api/articles/{slug}/comments`."""

    comment: NewComment


def given(struct: msgspec.Struct) -> dict[str, object]:
    """The fields of ``struct`` the client sent (UNSET ones left out), by their Python names."""
    return {name: value for name, value in msgspec.structs.asdict(struct).items() if value is not msgspec.UNSET}


# Responses.


class User(msgspec.Struct):
    """The account the token belongs to, with the token."""

    email: str
    token: str
    username: str
    bio: str | None
    image: str | None


class UserResponse(msgspec.Struct):
    user: User


class Profile(msgspec.Struct):
    """An author as readers see them; `following` is whether the reader follows them."""

    username: str
    bio: str | None
    image: str | None
    following: bool


class ProfileResponse(msgspec.Struct):
    profile: Profile


class ArticleSummary(msgspec.Struct, rename="camel"):
    """An article in a list: everything but its body."""

    slug: str
    title: str
    description: str
    tag_list: list[str]
    created_at: datetime
    updated_at: datetime
    favorited: bool
    favorites_count: int
    author: Profile


class FullArticle(ArticleSummary):
    """An article, with its body."""

    body: str


class ArticleResponse(msgspec.Struct):
    article: FullArticle


class ArticlesResponse(msgspec.Struct, rename="camel"):
    articles: list[ArticleSummary]
    articles_count: int
    """How many articles match, over all pages."""


class CommentView(msgspec.Struct, rename="camel"):
    """A comment, with its author."""

    id: int
    created_at: datetime
    updated_at: datetime
    body: str
    author: Profile


class CommentResponse(msgspec.Struct):
    comment: CommentView


class CommentsResponse(msgspec.Struct):
    comments: list[CommentView]


class TagsResponse(msgspec.Struct):
    tags: list[str]


class Errors(msgspec.Struct):
    """Every RealWorld error: each offending field (or `token`, `article`...) with its messages."""

    errors: dict[str, list[str]]


def present_user(author: Author, token: str) -> User:
    return User(email=author.email, token=token, username=author.username, bio=author.bio, image=author.image)


def present_profile(author: Author, *, following: bool) -> Profile:
    return Profile(username=author.username, bio=author.bio, image=author.image, following=following)


def _article_fields(article: Article, author: Author, *, favorited: bool, following: bool) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
        "tag_list": article.tags,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "favorited": favorited,
        "favorites_count": article.favorites_count,
        "author": present_profile(author, following=following),
    }


def present_article(article: Article, author: Author, *, favorited: bool, following: bool) -> FullArticle:
    """``article`` (by ``author``) as the reader sees it."""
    fields = _article_fields(article, author, favorited=favorited, following=following)
    return FullArticle(**fields, body=article.content)


def present_summary(article: Article, *, favorited: bool, following: bool) -> ArticleSummary:
    """``article`` (its author loaded with it) in a list, as the reader sees it."""
    fields = _article_fields(article, article.author, favorited=favorited, following=following)
    return ArticleSummary(**fields)


def present_comment(comment: Comment, *, following: bool) -> CommentView:
    return CommentView(
        id=comment.id,
        created_at=comment.created_at,
        updated_at=comment.updated_at,
        body=comment.body,
        author=present_profile(comment.author, following=following),
    )
