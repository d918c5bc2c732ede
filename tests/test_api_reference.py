"""The API reference at ``/docs`` works with no network: a real Chromium renders it from the app alone.

Chromium is Debian's (``.ci/run`` installs it). Every host but 127.0.0.1 is unresolvable for it,
so a script, a stylesheet or a font from anywhere else would fail to load and the page would
stay blank. ``--dump-dom`` prints the page once its scripts ran (with a virtual time budget,
so no wall-clock wait decides the outcome).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from blog.api_reference import SCALAR_VERSION, STATIC_DIR
from tests.conftest import migrate
from tests.helpers import ONE_BACKEND, TEST_SECRET, served

OFFLINE = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser test: apt-get install chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def rendered(url: str) -> str:
    """The page's DOM after its scripts ran, in a fresh, offline headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        argv = [
            chromium(),
            *("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"),
            *("--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"),
            f"--host-resolver-rules={OFFLINE}",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


async def test_docs_render_offline_in_a_browser(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'docs.sqlite3'}"
    await asyncio.to_thread(migrate, url)
    log = tmp_path / "server.log"
    with served({"DATABASE_URL": url, "AUTH_SECRET": TEST_SECRET}, log=log) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            page = (await client.get("/docs")).text
            script = await client.get(f"/docs/assets/scalar/standalone.js?v={SCALAR_VERSION}")
        dom = await asyncio.to_thread(rendered, f"{base_url}/docs")

    # The page names nothing outside the app; the script is the vendored one.
    assert not re.search(r"(https?:)?//[^\s\"'<>]", page), page
    assert f"/docs/assets/scalar/standalone.js?v={SCALAR_VERSION}" in page
    assert script.content == (STATIC_DIR / "scalar" / "standalone.js").read_bytes()
    # Scalar built the reference: the operations are in the DOM.
    for operation in ("List articles", "Write an article", "Sign up", "Log in", "Health check"):
        assert operation in dom, f"{operation!r} is not in the rendered page"
    # Authentication asks for the token alone: no client id or secret, which mean nothing here.
    assert "Bearer Token" in dom
    assert "Client ID" not in dom
    assert "Client Secret" not in dom
    # And the browser fetched the spec from the app, as the page told it to.
    routes = [json.loads(line).get("route") for line in log.read_text().splitlines()]
    assert "/docs/openapi.json" in routes, routes


@ONE_BACKEND
async def test_the_token_scheme_is_a_bearer_token_so_authorize_asks_for_the_token_alone(
    client: AsyncTestClient,
) -> None:
    """As an OAuth2 password flow (Litestar's), Scalar's *Authorize* also asks for a client id
    and a secret, which mean nothing here; the scheme's description says where a token comes from."""
    document = (await client.get("/docs/openapi.json")).json()
    [scheme] = document["components"]["securitySchemes"].values()
    assert set(scheme) == {"type", "scheme", "bearerFormat", "description"}, scheme
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert "POST /auth/token" in scheme["description"]
