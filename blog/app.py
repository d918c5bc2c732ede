"""The application factory: ``create_app()`` assembles the app from its parts.

``litestar run`` finds it through ``.env`` (``LITESTAR_APP=blog.app:create_app``); uvicorn
can serve it with ``uvicorn --factory blog.app:create_app``. Called so, with no argument, it
is the process's entry point: a start-up error (blog.startup) ends the process in two lines.
"""

from __future__ import annotations

from typing import cast

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Tag
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.types import HTTPScope, LifeSpanReceive, LifeSpanScope, LifeSpanSend, Receive, Scope, Send

from blog.api_reference import assets_router, scalar_plugin
from blog.cli import BlogCLIPlugin
from blog.conditional import head_as_get
from blog.database import database
from blog.domain.articles.controllers import ArticleController, AuthorArticleController
from blog.domain.auth.controllers import AuthController
from blog.domain.auth.services import LoginThrottle, user_loader
from blog.domain.authors.controllers import AuthorController
from blog.domain.feeds.controllers import FeedController
from blog.domain.realworld.errors import APP_EXCEPTION_HANDLERS
from blog.domain.realworld.router import realworld_router
from blog.domain.system.controllers import HealthController
from blog.errors import problem_details_plugin
from blog.logs import configure_logging, request_log
from blog.metrics import MetricsController, RequestMetrics, count_pool_connections, forget_this_process
from blog.overload import Admission
from blog.request_context import RequestContextMiddleware, RequestObserver
from blog.request_hooks import before_request
from blog.security import BEARER_STATE_KEY, bearer_auth, warn_of_a_random_key
from blog.settings import AppSettings, CacheSettings, Settings, load_settings
from blog.startup import debug_requested, exit_on_startup_error

API_DESCRIPTION = """\
A blog's authors and their articles, as a JSON REST API.

Reading is open to anyone. Writing needs an account (`POST /authors`) and a token
(`POST /auth/token`: on this page, try it, then paste its `access_token` into *Authorize*),
sent as `Authorization: Bearer <token>`;
an article or an account is changed only by its owner.

Every error is an RFC 9457 problem details document (`application/problem+json`); invalid
input is a 400 that names each offending field in `invalid_params`.

The same blog is served under `/api` as the RealWorld ("Conduit") API, for its front-ends:
`Token` authentication, `{"user": ...}` envelopes and `{"errors": ...}` answers there, as its
specification says.
"""


class Blog(Litestar):
    """Litestar, answering ``HEAD`` on every ``GET`` path (RFC 9110: same status and headers, no body).

    Litestar routes ``HEAD`` only to handlers declared for it, and answers 405 elsewhere; the
    request is turned into its ``GET`` before routing instead (``blog.conditional.head_as_get``),
    which also keeps ``HEAD`` out of the OpenAPI document's operations.
    """

    async def __call__(
        self, scope: Scope | LifeSpanScope, receive: Receive | LifeSpanReceive, send: Send | LifeSpanSend
    ) -> None:
        if scope["type"] == ScopeType.HTTP and cast("HTTPScope", scope)["method"] == "HEAD":
            scope, send = head_as_get(cast("HTTPScope", scope), cast("Send", send))
        await super().__call__(scope, receive, send)


def openapi_config(settings: AppSettings) -> OpenAPIConfig:
    """The API reference: Scalar at ``docs_path``, the OpenAPI 3.1 document beside it."""
    return OpenAPIConfig(
        title=settings.title,
        version=settings.version,
        description=API_DESCRIPTION,
        path=settings.docs_path,
        render_plugins=[scalar_plugin(settings.docs_path)],
        tags=[
            Tag(name="Authors", description="People who write articles: the blog's accounts."),
            Tag(name="Auth", description="Logging in, and the account a token belongs to."),
            Tag(name="Articles", description="Articles, each written by one author."),
            Tag(name="Feeds", description="The latest articles for feed readers: Atom, RSS and JSON Feed."),
            Tag(name="Health", description="Liveness and database reachability."),
            *(
                Tag(name=f"RealWorld: {part}", description=f"The RealWorld API's {part}, under `/api`.")
                for part in ("users", "profiles", "articles", "comments", "tags")
            ),
        ],
        use_handler_docstrings=True,
    )


def cors_config(settings: AppSettings) -> CORSConfig | None:
    """Which browser pages may call the API: ``app.cors_origins`` (none by default).

    A preflight needs no token (the authentication middleware lets ``OPTIONS`` through).
    """
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Link", "Location", "Retry-After", "X-Request-ID", "X-Total-Count"],
        max_age=600,
    )


def shared_store(settings: CacheSettings, name: str) -> Store:
    """A store for state the workers share: in Redis if configured, else in this process's memory."""
    if settings.redis_url:
        return RedisStore.with_client(url=settings.redis_url, namespace=f"blog:{name}")
    return MemoryStore()


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app. ``settings`` defaults to ``litestar.toml`` plus the environment.

    Without ``settings`` this is the entry point of ``litestar`` (through ``.env``) and of
    ``blog.asgi``: a bad setting is reported in two lines on stderr and ends the process with
    status 3 (with debug on, as a traceback). The database is checked by whatever is about to
    serve (``blog.database.check_before_serving``), not here: ``litestar database upgrade`` builds the app too.
    """
    if settings is None:
        with exit_on_startup_error(debug_requested):
            loaded = load_settings()
        with exit_on_startup_error(lambda: loaded.app.debug or debug_requested()):
            return create_app(loaded)
    debug = settings.app.debug or debug_requested()
    configure_logging(settings)
    db = database(settings.database)
    count_pool_connections(db.engine, settings.database.pool_size)
    bearer = bearer_auth(settings.auth, user_loader(db.reads), public_paths=[f"^{settings.app.docs_path}"])
    logins = shared_store(settings.cache, "logins")
    login_throttle = LoginThrottle(logins, settings.auth.login_attempts)

    async def close_connections() -> None:
        # Advanced Alchemy 1.12 disposes the engine only for the first app of a process (it
        # renames the state keys of later ones), so each app closes its own pool: tests and
        # reloads would otherwise leave a pool of idle connections behind per app.
        await db.engine.dispose()

    metrics = RequestMetrics()
    observer = RequestObserver(request_log(settings), metrics)
    # As many requests at once as there are connections; the others wait their turn (blog.overload).
    admission = Admission(settings.database.pool_size + settings.database.max_overflow, settings.app.queue_timeout)

    def outermost_middleware(app_config: AppConfig) -> AppConfig:
        # After the bearer's on_app_init, which puts its own middleware first: the request's
        # id must be bound before authentication logs anything, and a request refused for
        # the load must cost nothing, not even the check of its token.
        app_config.middleware[:0] = [RequestContextMiddleware(metrics, admission)]
        return app_config

    return Blog(
        route_handlers=[
            AuthorController,
            AuthController,
            ArticleController,
            AuthorArticleController,
            FeedController,
            HealthController,
            MetricsController,
            assets_router(settings.app.docs_path),
            realworld_router(),
        ],
        plugins=[db.plugin(), problem_details_plugin(), BlogCLIPlugin(settings.database.url)],
        on_app_init=[bearer.on_app_init, outermost_middleware],
        dependencies={
            "bearer": Provide(lambda: bearer, use_cache=True, sync_to_thread=False),
            "login_throttle": Provide(lambda: login_throttle, use_cache=True, sync_to_thread=False),
        },
        stores={"logins": logins},
        # Said when the app serves, not when a command that serves nothing builds it.
        on_startup=[] if settings.auth.secret else [warn_of_a_random_key],
        on_shutdown=[close_connections, forget_this_process],
        openapi_config=openapi_config(settings.app),
        before_request=before_request,
        before_send=[observer.before_send],
        request_max_body_size=settings.app.max_body_size,
        cors_config=cors_config(settings.app),
        exception_handlers=APP_EXCEPTION_HANDLERS,
        # blog.logs configures logging for the whole process; Litestar's own set-up would add
        # a second handler to the root logger, and every line would be written twice.
        logging_config=None,
        state=State({"settings": settings, BEARER_STATE_KEY: bearer}),
        debug=debug,
    )
