"""A RealWorld front-end's five journeys, driven in a real browser against the served app.

The page is served from another origin than the API, as a front-end is, so each call goes
through CORS (``app.cors_origins``) exactly as a Conduit front-end's would: sign up, log in,
publish an article (public at once through ``/api``), find it in the global feed and under
its tag, favourite it. The page writes each journey's outcome into its DOM, which headless
Chromium prints once the page's scripts ran (tests/test_api_reference.py).
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import migrate
from tests.helpers import TEST_SECRET, served
from tests.test_api_reference import rendered

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Conduit drive</title></head>
<body><ol id="journeys"></ol><p id="verdict">running</p>
<script>
const API = "%(api)s/api";
const results = [];
function note(name, ok, detail) {
  results.push(ok);
  const item = document.createElement("li");
  item.textContent = `${name}: ${ok ? "ok" : "FAILED " + detail}`;
  document.getElementById("journeys").appendChild(item);
}
async function call(method, path, body, token) {
  const headers = {"Content-Type": "application/json"};
  if (token) headers["Authorization"] = `Token ${token}`;
  const response = await fetch(API + path, {method, headers, body: body && JSON.stringify(body)});
  return {status: response.status, body: await response.json()};
}
async function drive() {
  const user = {username: "reader", email: "reader@example.com", password: "a long password"};
  const signedUp = await call("POST", "/users", {user});
  note("sign up", signedUp.status === 201 && !!signedUp.body.user.token, signedUp.status);

  const login = await call("POST", "/users/login", {user: {email: user.email, password: user.password}});
  const token = login.body.user && login.body.user.token;
  note("log in", login.status === 200 && !!token, login.status);

  const article = {title: "Conduit in a browser", description: "A drive", body: "# Hello", tagList: ["browsers"]};
  const written = await call("POST", "/articles", {article}, token);
  const slug = written.body.article && written.body.article.slug;
  note("publish", written.status === 201 && !!slug, written.status);

  const feed = await call("GET", "/articles?limit=10");
  const tagged = await call("GET", "/articles?tag=browsers");
  const tags = await call("GET", "/tags");
  const found = feed.body.articles.some(a => a.slug === slug)
    && tagged.body.articles.some(a => a.slug === slug) && tags.body.tags.includes("browsers");
  note("global feed and tag", feed.status === 200 && found, JSON.stringify(tags.body));

  await call("POST", `/articles/${slug}/favorite`, null, token);
  const read = await call("GET", `/articles/${slug}`, null, token);
  const favourite = read.body.article;
  note("favourite", favourite.favorited === true && favourite.favoritesCount === 1, JSON.stringify(favourite));
}
drive().catch(error => note("drive", false, String(error))).finally(() => {
  const passed = results.filter(Boolean).length;
  document.getElementById("verdict").textContent = `passed ${passed}/${results.length}`;
});
</script></body></html>
"""


@contextmanager
def page_server(directory: Path) -> Iterator[str]:
    """A static file server for the front-end's page, on an origin of its own."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_front_end_in_a_browser_completes_its_five_journeys(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'conduit.sqlite3'}"
    await asyncio.to_thread(migrate, url)
    site = tmp_path / "site"
    site.mkdir()
    with page_server(site) as origin:
        env = {"DATABASE_URL": url, "AUTH_SECRET": TEST_SECRET, "APP_CORS_ORIGINS": origin}
        with served(env, log=tmp_path / "server.log") as api:
            (site / "index.html").write_text(PAGE % {"api": api})
            dom = await asyncio.to_thread(rendered, f"{origin}/index.html")
    journeys = re.findall(r"<li>(.*?)</li>", dom)
    assert "passed 5/5" in dom, journeys or dom[-2000:]
