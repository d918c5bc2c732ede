"""The API reference page (Scalar), served whole by the app: no request leaves the machine.

Scalar's browser bundle is vendored at a pinned version in ``blog/static/scalar/`` (with its
licence; ``make update-scalar SCALAR_VERSION=x.y.z`` replaces it) and served with the page's
stylesheet under ``<docs_path>/assets/``. Scalar's default fonts, telemetry and AI agent,
each a request to another host, are off.
"""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from blog.security import PUBLIC, SCHEME

STATIC_DIR = Path(__file__).resolve().parent / "static"
SCALAR_VERSION = (STATIC_DIR / "scalar" / "VERSION").read_text(encoding="utf-8").strip()

SCALAR_OPTIONS = {
    "withDefaultFonts": False,
    "telemetry": False,
    "agent": {"disabled": True},
    "showDeveloperTools": "never",
    "defaultOpenAllTags": True,  # every operation in the page, not only the first tag's
    # "Authorize" offers the one scheme there is: a bearer token, from POST /auth/token.
    "authentication": {"preferredSecurityScheme": SCHEME},
}


def _assets_path(docs_path: str) -> str:
    return f"{docs_path.rstrip('/')}/assets"


def scalar_plugin(docs_path: str) -> ScalarRenderPlugin:
    """The page at ``docs_path``, pointing at the app's own copies of the script and the stylesheet."""
    assets = _assets_path(docs_path)
    return ScalarRenderPlugin(
        path="/",
        # The version in the URL: a browser never runs a cached script of another version.
        js_url=f"{assets}/scalar/standalone.js?v={SCALAR_VERSION}",
        css_url=f"{assets}/docs.css?v={SCALAR_VERSION}",
        favicon="<link rel='icon' href='data:,'>",  # Litestar's default is an image on a CDN
        options=SCALAR_OPTIONS,
    )


def assets_router(docs_path: str) -> Router:
    """``<docs_path>/assets/...``: the files of ``blog/static``, public, outside the OpenAPI document."""
    return create_static_files_router(
        path=_assets_path(docs_path),
        directories=[STATIC_DIR],
        name="api-reference-assets",
        opt=PUBLIC,
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=86_400, public=True),
    )
