"""The RealWorld ("Conduit") API's operations, over the same services as the native API.

Each handler translates: RealWorld's envelope in, a service call, RealWorld's envelope out.
The rules (who may write what, slugs, tags, favourites, follows) are the services'; the
field limits the models'. Reads take an optional token, for `favorited` and `following`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from advanced_alchemy.filters import LimitOffset, StatementFilter
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import JSONBody, PathParameter, QueryParameter, SkipValidation
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_200_OK
from sqlalchemy import ColumnElement

from blog.domain.articles.models import Article
from blog.domain.articles.publishing import PublicOnly, now
from blog.domain.articles.services import NEWEST_PUBLISHED, ArticleService, by_username, favorited_by, followed_by
from blog.domain.auth.services import LoginThrottle, log_in
from blog.domain.authors.models import Author
from blog.domain.authors.services import AuthorService
from blog.domain.comments.services import CommentService
from blog.domain.profiles.services import FollowService
from blog.domain.realworld.errors import documented
from blog.domain.realworld.schemas import (
    ArticleResponse,
    ArticlesResponse,
    CommentResponse,
    CommentsResponse,
    LoginUserRequest,
    NewArticleRequest,
    NewCommentRequest,
    NewUserRequest,
    ProfileResponse,
    TagsResponse,
    UpdateArticleRequest,
    UpdateUserRequest,
    UserResponse,
    given,
    present_article,
    present_comment,
    present_profile,
    present_summary,
    present_user,
)
from blog.domain.tags.services import TagService
from blog.errors import problem_for
from blog.fields import ID_BOUNDS
from blog.listing import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from blog.security import PUBLIC, SECURED, BearerAuth, sent_token
from blog.service import read_provider, write_provider

Reader = NamedDependency[SkipValidation[Author | None]]
"""The caller of a public operation: an author if a valid token came with the request."""
Bearer = NamedDependency[SkipValidation[BearerAuth]]
# No control characters in any text parameter: PostgreSQL refuses a NUL in a query's values.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Slug = Annotated[str, PathParameter(min_length=1, max_length=100, pattern=PRINTABLE, description="The article's slug.")]
Username = Annotated[
    str, PathParameter(min_length=1, max_length=40, pattern=PRINTABLE, description="The author's username.")
]
CommentId = Annotated[int, PathParameter(**ID_BOUNDS, description="The comment's id.")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="Articles per page, 1 to 100.")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_PAGE * MAX_PAGE_SIZE, description="How many articles to skip.")]
UsernameFilter = Annotated[str | None, QueryParameter(min_length=1, max_length=40, pattern=PRINTABLE)]
TagFilter = Annotated[str | None, QueryParameter(min_length=1, max_length=40, pattern=PRINTABLE, description="A tag.")]


async def provide_reader(request: Request[Any, Any, Any], bearer: Bearer) -> Author | None:
    """``reader``: who is reading (``None`` without a token; a 401 for an invalid one)."""
    try:
        author: Author | None = await bearer.reader(request)
    except HTTPException:
        raise
    except Exception as exc:
        # Litestar resolves this beside the handler's other dependencies and re-raises its
        # error with their task group as the cause, in place of the database's own error:
        # what the error means (a 503 for a database that is away) is decided here, first.
        raise problem_for(exc) from exc
    return author


READER = {"reader": Provide(provide_reader)}


def _reader_id(reader: Author | None) -> int | None:
    return reader.id if reader is not None else None


async def _article_page(
    articles: ArticleService,
    reader: Author | None,
    conditions: Sequence[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> ArticlesResponse:
    """A page of public articles, newest published first, with what the reader favourites and follows.

    A fixed number of statements whatever the page's size: the page with its authors, their
    tags, the total (when it is not evident from the page), the reader's favourites and follows.
    """
    filters: list[StatementFilter | ColumnElement[bool]] = [
        PublicOnly(now()),
        *conditions,
        LimitOffset(limit=limit, offset=offset),
        NEWEST_PUBLISHED,
    ]
    items, total = await articles.page_with_authors(filters)
    favorited, followed = await articles.reader_marks(_reader_id(reader), items)
    return ArticlesResponse(
        articles=[
            present_summary(article, favorited=article.id in favorited, following=article.author_id in followed)
            for article in items
        ],
        articles_count=total,
    )


async def _article_response(
    articles: ArticleService, article: Article, author: Author, reader_id: int
) -> ArticleResponse:
    favorited, followed = await articles.reader_marks(reader_id, [article])
    return ArticleResponse(
        article=present_article(article, author, favorited=article.id in favorited, following=author.id in followed)
    )


class UsersController(Controller):
    """Signing up and logging in."""

    path = "/users"
    tags = ["RealWorld: users"]
    opt = PUBLIC

    @post(
        operation_id="realworldRegister",
        summary="Sign up",
        dependencies={"authors": write_provider(AuthorService)},
        **documented(409, 422),
    )
    async def register(
        self, data: JSONBody[NewUserRequest], authors: NamedDependency[AuthorService], bearer: Bearer
    ) -> UserResponse:
        """Create an account; the answer carries a token for it."""
        author = await authors.sign_up(given(data.user))
        token, _ = bearer.issue(author.id)
        return UserResponse(user=present_user(author, token))

    @post(
        "/login",
        operation_id="realworldLogin",
        summary="Log in",
        status_code=HTTP_200_OK,
        dependencies={"authors": read_provider(AuthorService)},
        **documented(401, 422, 429),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginUserRequest],
        authors: NamedDependency[AuthorService],
        bearer: Bearer,
        login_throttle: NamedDependency[SkipValidation[LoginThrottle]],
    ) -> UserResponse:
        """A token for the account with this e-mail address (or username) and password.

        Failed attempts are throttled per account and per address, as `POST /auth/token`'s.
        """
        address = request.client.host if request.client else "unknown"
        author = await log_in(authors, login_throttle, data.user.email, data.user.password, address)
        token, _ = bearer.issue(author.id)
        return UserResponse(user=present_user(author, token))


class CurrentUserController(Controller):
    """The account a token belongs to."""

    path = "/user"
    tags = ["RealWorld: users"]
    security = SECURED

    @get(operation_id="realworldGetCurrentUser", summary="Who am I", **documented(401))
    async def current_user(self, request: Request[Author, Token, Any], bearer: Bearer) -> UserResponse:
        """The caller's account, with the token they sent."""
        return UserResponse(user=present_user(request.user, sent_token(request) or bearer.issue(request.user.id)[0]))

    @put(
        operation_id="realworldUpdateCurrentUser",
        summary="Update your account",
        dependencies={"authors": write_provider(AuthorService)},
        **documented(401, 409, 422),
    )
    async def update_current_user(
        self,
        request: Request[Author, Token, Any],
        data: JSONBody[UpdateUserRequest],
        authors: NamedDependency[AuthorService],
        bearer: Bearer,
    ) -> UserResponse:
        """Change any of `email`, `username`, `password`, `bio`, `image`; `""` or null clears `bio` and `image`."""
        me = request.user.id
        author = await authors.update_owned(given(data.user), item_id=me, owner_id=me)
        return UserResponse(user=present_user(author, sent_token(request) or bearer.issue(me)[0]))


class ProfileController(Controller):
    """Authors as readers see them, and following them."""

    path = "/profiles/{username:str}"
    tags = ["RealWorld: profiles"]
    dependencies = {"authors": read_provider(AuthorService)}

    @get(
        operation_id="realworldGetProfile",
        summary="Get a profile",
        opt=PUBLIC,
        dependencies={**READER, "follows": read_provider(FollowService)},
        **documented(401, 404),
    )
    async def get_profile(
        self,
        username: Username,
        authors: NamedDependency[AuthorService],
        follows: NamedDependency[FollowService],
        reader: Reader,
    ) -> ProfileResponse:
        """The author with this username; `following` is whether you follow them (false without a token)."""
        author = await authors.get_by_username(username)
        following = author.id in await follows.followed_among(_reader_id(reader), [author.id])
        return ProfileResponse(profile=present_profile(author, following=following))

    @post(
        "/follow",
        operation_id="realworldFollow",
        summary="Follow an author",
        status_code=HTTP_200_OK,
        security=SECURED,
        dependencies={"follows": write_provider(FollowService)},
        **documented(401, 404, 409, 422),
    )
    async def follow(
        self,
        request: Request[Author, Token, Any],
        username: Username,
        authors: NamedDependency[AuthorService],
        follows: NamedDependency[FollowService],
    ) -> ProfileResponse:
        """Follow the author: their articles join your feed. Following twice changes nothing."""
        author = await authors.get_by_username(username)
        await follows.follow(request.user.id, author.id)
        return ProfileResponse(profile=present_profile(author, following=True))

    @delete(
        "/follow",
        operation_id="realworldUnfollow",
        summary="Unfollow an author",
        status_code=HTTP_200_OK,
        security=SECURED,
        dependencies={"follows": write_provider(FollowService)},
        **documented(401, 404),
    )
    async def unfollow(
        self,
        request: Request[Author, Token, Any],
        username: Username,
        authors: NamedDependency[AuthorService],
        follows: NamedDependency[FollowService],
    ) -> ProfileResponse:
        """Stop following the author. Unfollowing twice changes nothing."""
        author = await authors.get_by_username(username)
        await follows.unfollow(request.user.id, author.id)
        return ProfileResponse(profile=present_profile(author, following=False))


class ArticlesController(Controller):
    """Articles: the global list, your feed, and writing, changing and favouriting them."""

    path = "/articles"
    tags = ["RealWorld: articles"]
    dependencies = {"articles": write_provider(ArticleService)}

    @get(
        operation_id="realworldListArticles",
        summary="List articles",
        opt=PUBLIC,
        dependencies={**READER, "articles": read_provider(ArticleService)},
        **documented(401, 422),
    )
    async def list_articles(
        self,
        articles: NamedDependency[ArticleService],
        reader: Reader,
        tag: TagFilter = None,
        author: UsernameFilter = None,
        favorited: UsernameFilter = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> ArticlesResponse:
        """Articles, newest published first: with `tag`, by the `author` with that username, or `favorited` by them.

        Each comes without its body; `articlesCount` counts every match over all pages.
        """
        conditions = [
            *([await articles.tagged(tag)] if tag is not None else []),
            *([by_username(author)] if author is not None else []),
            *([favorited_by(favorited)] if favorited is not None else []),
        ]
        return await _article_page(articles, reader, conditions, limit, offset)

    @get(
        "/feed",
        operation_id="realworldFeed",
        summary="Your feed",
        security=SECURED,
        dependencies={"articles": read_provider(ArticleService)},
        **documented(401, 422),
    )
    async def feed(
        self,
        request: Request[Author, Token, Any],
        articles: NamedDependency[ArticleService],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> ArticlesResponse:
        """The articles of the authors you follow, newest published first."""
        return await _article_page(articles, request.user, [followed_by(request.user.id)], limit, offset)

    @post(
        operation_id="realworldCreateArticle",
        summary="Write an article",
        security=SECURED,
        **documented(401, 409, 422),
    )
    async def create_article(
        self,
        request: Request[Author, Token, Any],
        data: JSONBody[NewArticleRequest],
        articles: NamedDependency[ArticleService],
    ) -> ArticleResponse:
        """Write an article: you are its author. Its slug comes from the title; `tagList` keeps its order."""
        new = data.article
        article = await articles.create_by(
            request.user.id,
            {"title": new.title, "description": new.description, "content": new.body, "tags": new.tag_list},
        )
        # Nobody follows themselves, and a new article has no favourites yet.
        return ArticleResponse(article=present_article(article, request.user, favorited=False, following=False))

    @get(
        "/{slug:str}",
        operation_id="realworldGetArticle",
        summary="Get an article",
        opt=PUBLIC,
        dependencies={**READER, "articles": read_provider(ArticleService)},
        **documented(401, 404),
    )
    async def get_article(
        self, slug: Slug, articles: NamedDependency[ArticleService], reader: Reader
    ) -> ArticleResponse:
        """The article with this slug, with its body."""
        article = await articles.get_by_slug(slug, _reader_id(reader), with_author=True)
        favorited, followed = await articles.reader_marks(_reader_id(reader), [article])
        return ArticleResponse(
            article=present_article(
                article, article.author, favorited=article.id in favorited, following=article.author_id in followed
            )
        )

    @put(
        "/{slug:str}",
        operation_id="realworldUpdateArticle",
        summary="Update your article",
        security=SECURED,
        **documented(401, 403, 404, 409, 422),
    )
    async def update_article(
        self,
        request: Request[Author, Token, Any],
        slug: Slug,
        data: JSONBody[UpdateArticleRequest],
        articles: NamedDependency[ArticleService],
    ) -> ArticleResponse:
        """Change any of `title` (and so the slug), `description`, `body` and `tagList` (`[]` clears it)."""
        changes = {
            {"body": "content", "tag_list": "tags"}.get(name, name): value
            for name, value in given(data.article).items()
        }
        article = await articles.get_by_slug(slug, request.user.id)
        article = await articles.update_owned(changes, item_id=article.id, owner_id=request.user.id)
        return await _article_response(articles, article, request.user, request.user.id)

    @delete(
        "/{slug:str}",
        operation_id="realworldDeleteArticle",
        summary="Delete your article",
        security=SECURED,
        **documented(401, 403, 404),
    )
    async def delete_article(
        self, request: Request[Author, Token, Any], slug: Slug, articles: NamedDependency[ArticleService]
    ) -> None:
        """Delete the article, with its comments and favourites."""
        article = await articles.get_by_slug(slug, request.user.id)
        await articles.delete_owned(article.id, owner_id=request.user.id)

    @post(
        "/{slug:str}/favorite",
        operation_id="realworldFavorite",
        summary="Favourite an article",
        status_code=HTTP_200_OK,
        security=SECURED,
        **documented(401, 404, 409),
    )
    async def favorite(
        self, request: Request[Author, Token, Any], slug: Slug, articles: NamedDependency[ArticleService]
    ) -> ArticleResponse:
        """Favourite the article (twice changes nothing); the answer has its new `favoritesCount`."""
        article = await articles.favorite(await articles.get_by_slug(slug, request.user.id), request.user.id)
        return await _article_response(articles, article, article.author, request.user.id)

    @delete(
        "/{slug:str}/favorite",
        operation_id="realworldUnfavorite",
        summary="Stop favouriting an article",
        status_code=HTTP_200_OK,
        security=SECURED,
        **documented(401, 404),
    )
    async def unfavorite(
        self, request: Request[Author, Token, Any], slug: Slug, articles: NamedDependency[ArticleService]
    ) -> ArticleResponse:
        """Stop favouriting the article (twice changes nothing)."""
        article = await articles.unfavorite(await articles.get_by_slug(slug, request.user.id), request.user.id)
        return await _article_response(articles, article, article.author, request.user.id)


class CommentsController(Controller):
    """What readers say under an article."""

    path = "/articles/{slug:str}/comments"
    tags = ["RealWorld: comments"]
    dependencies = {"comments": write_provider(CommentService), "articles": write_provider(ArticleService)}

    @get(
        operation_id="realworldListComments",
        summary="An article's comments",
        opt=PUBLIC,
        dependencies={
            **READER,
            "articles": read_provider(ArticleService),
            "comments": read_provider(CommentService),
            "follows": read_provider(FollowService),
        },
        **documented(401, 404),
    )
    async def list_comments(
        self,
        slug: Slug,
        articles: NamedDependency[ArticleService],
        comments: NamedDependency[CommentService],
        follows: NamedDependency[FollowService],
        reader: Reader,
    ) -> CommentsResponse:
        """The article's comments, oldest first."""
        article = await articles.get_by_slug(slug, _reader_id(reader))
        found = await comments.on_article(article.id)
        followed = await follows.followed_among(_reader_id(reader), {comment.author_id for comment in found})
        return CommentsResponse(
            comments=[present_comment(comment, following=comment.author_id in followed) for comment in found]
        )

    @post(
        operation_id="realworldCreateComment",
        summary="Comment on an article",
        security=SECURED,
        **documented(401, 404, 409, 422),
    )
    async def create_comment(
        self,
        request: Request[Author, Token, Any],
        slug: Slug,
        data: JSONBody[NewCommentRequest],
        articles: NamedDependency[ArticleService],
        comments: NamedDependency[CommentService],
    ) -> CommentResponse:
        """Comment on the article, as yourself."""
        article = await articles.get_by_slug(slug, request.user.id)
        comment = await comments.write(article.id, request.user.id, data.comment.body)
        return CommentResponse(comment=present_comment(comment, following=False))

    @delete(
        "/{comment_id:int}",
        operation_id="realworldDeleteComment",
        summary="Delete your comment",
        security=SECURED,
        **documented(401, 403, 404),
    )
    async def delete_comment(
        self,
        request: Request[Author, Token, Any],
        slug: Slug,
        comment_id: CommentId,
        articles: NamedDependency[ArticleService],
        comments: NamedDependency[CommentService],
    ) -> None:
        """Delete your comment: 404 unless it is on this article, 403 unless it is yours."""
        article = await articles.get_by_slug(slug, request.user.id)
        await comments.delete_from(article.id, comment_id, owner_id=request.user.id)


class TagsController(Controller):
    """The tags in use."""

    path = "/tags"
    tags = ["RealWorld: tags"]
    opt = PUBLIC

    @get(
        operation_id="realworldListTags",
        summary="Popular tags",
        dependencies={"tag_service": read_provider(TagService)},
        **documented(),
    )
    async def list_tags(self, tag_service: NamedDependency[TagService]) -> TagsResponse:
        """The 100 tags articles use most, most used first (ties by name)."""
        return TagsResponse(tags=list(await tag_service.popular()))
