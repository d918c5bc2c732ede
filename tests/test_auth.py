"""Tokens, logins, ownership and the signing key: contract v2 (issue 11, points 3, 4, 7, 8 and 9).

The 401/403 matrix runs every write endpoint (and ``GET /auth/me``) against every kind of
credential on one app (``world``), made once for the module on a database of its own, which
the per-test ``app`` fixture (it empties the shared one) cannot touch. A sign-up costs an
Argon2 hash, so each case gets a fresh account written straight to the database and its
tokens from ``token_for``; logins and sign-ups are tested where they are the subject. Every
refused request is followed by a look at the rows: nothing was written.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from blog import security
from blog.app import create_app
from blog.domain.authors.models import Author
from blog.settings import AuthSettings, Settings, SettingsError, load_settings
from tests.conftest import create_postgres_database, drop_postgres_database, make_settings, migrate
from tests.helpers import (
    ONE_BACKEND,
    PASSWORD,
    TEST_SECRET,
    Account,
    assert_problem,
    create_article,
    sign_up,
    token_for,
)

ANOTHER_SECRET = "another key, just as long and just as random: 9876543210"
MISSING_ID = 987_654_321
OUT_OF_RANGE_ID = 2**63
FORM = "application/x-www-form-urlencoded"
COUNTS = text("SELECT (SELECT count(*) FROM author), (SELECT count(*) FROM article)")


# --- one app, a few accounts, for the matrix ---------------------------------------------------


@dataclass
class World:
    """An app on a database of its own, with the accounts the cases share."""

    client: AsyncTestClient
    engine: AsyncEngine
    other: Account
    """Someone else: signed up (with ``PASSWORD``), and has an article."""
    ghost_id: int
    """An account that was deleted: its tokens are still correctly signed and unexpired."""
    owner: Account = field(init=False)
    """The caller of the cases that share one (the matrix gives each case an owner of its own)."""
    _names: Iterator[int] = field(default_factory=itertools.count, init=False)

    async def fresh_account(self) -> Account:
        """A new account with one article, written straight to the database.

        It has no password, as the accounts that predate version 2 have none: the tokens come
        from ``token_for``, so no Argon2 hash is paid for (sign-up is tested with its own).
        """
        name = f"user{next(self._names)}"
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            author = Author(username=name, email=f"{name}@example.com")
            session.add(author)
            await session.commit()
        account = Account(author={"id": author.id, "username": name, "email": author.email}, token=token_for(author.id))
        await create_article(self.client, account)
        return account

    async def counts(self) -> tuple[int, int]:
        """How many authors and articles there are."""
        async with self.engine.connect() as connection:
            authors, articles = (await connection.execute(COUNTS)).one()
        return int(authors), int(articles)


@asynccontextmanager
async def make_world(url: str) -> AsyncIterator[World]:
    engine = create_async_engine(url, pool_size=1)
    try:
        await asyncio.to_thread(migrate, url)
        async with AsyncTestClient(app=create_app(make_settings(url))) as client:
            other = await sign_up(client, "other")
            ghost = await sign_up(client, "ghost")
            await create_article(client, other)
            assert (await client.delete(f"/authors/{ghost.id}", headers=ghost.headers)).status_code == 204
            world = World(client, engine, other, ghost.id)
            world.owner = await world.fresh_account()
            yield world
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    """The world on PostgreSQL, where most cases run: the checks come before the database."""
    url = await create_postgres_database()
    try:
        async with make_world(url) as made:
            yield made
    finally:
        await drop_postgres_database(url)


@pytest.fixture(scope="module")
async def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with make_world(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('auth') / 'blog.sqlite3'}") as made:
        yield made


# --- credentials -----------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def claims(author_id: int | str, lifetime: int = 3600) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": str(author_id), "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}


def claims_without(author_id: int, name: str) -> dict[str, Any]:
    made = claims(author_id)
    del made[name]
    return made


def unsigned_token(author_id: int) -> str:
    """``alg: none``, built by hand (pyjwt would not): a header, the claims and an empty signature."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims(author_id)).encode())}."


def tampered_signature(token: str) -> str:
    """The same header and claims, one bit of the signature flipped."""
    header, payload, signature = token.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[0] ^= 0x01
    return f"{header}.{payload}.{b64url(bytes(raw))}"


def tampered_claims(token: str, **changes: Any) -> str:
    """The same header and signature over claims that were changed after signing."""
    header, payload, signature = token.split(".")
    changed = {**json.loads(b64url_decode(payload)), **changes}
    return f"{header}.{b64url(json.dumps(changed).encode())}.{signature}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


Credentials = Callable[[World, Account], dict[str, str]]

REFUSED: dict[str, Credentials] = {
    "no token": lambda w, a: {},
    "malformed token": lambda w, a: bearer("not.a.jwt"),
    "Basic scheme": lambda w, a: {"Authorization": "Basic " + b64url(f"{a.author['username']}:{PASSWORD}".encode())},
    "empty token": lambda w, a: {"Authorization": "Bearer "},
    "word alone": lambda w, a: {"Authorization": "Bearer"},
    "cookie, no header": lambda w, a: {"Cookie": f"token=Bearer {a.token}"},
    "tampered signature": lambda w, a: bearer(tampered_signature(a.token)),
    "tampered claims": lambda w, a: bearer(tampered_claims(a.token, sub=str(w.other.id))),
    "alg none": lambda w, a: bearer(unsigned_token(a.id)),
    "another key": lambda w, a: bearer(token_for(a.id, secret=ANOTHER_SECRET)),
    "expired": lambda w, a: bearer(token_for(a.id, lifetime=timedelta(minutes=-5))),
    "deleted author": lambda w, a: bearer(token_for(w.ghost_id)),
}
"""Credentials that are no credentials: 401 with ``WWW-Authenticate: Bearer``, whatever the endpoint."""

ACCEPTED: dict[str, Credentials] = {
    "someone else": lambda w, a: w.other.headers,
    "owner": lambda w, a: a.headers,
    "Token word": lambda w, a: {"Authorization": f"Token {a.token}"},
    "lowercase bearer": lambda w, a: {"Authorization": f"bearer {a.token}"},
}
KINDS = {**REFUSED, **ACCEPTED}


# --- endpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """With ``{id}`` where the row's id goes."""
    success: int
    owned: bool
    """Someone else's token is a 403 (it is the owner's row), not simply the caller's own request."""

    def body(self, kind: str) -> dict[str, Any] | None:
        if self.method == "PATCH":
            return {"bio": f"by {kind}"} if self.path.startswith("/authors") else {"title": f"by {kind}"}
        if self.method == "POST":
            return {"title": f"by {kind}", "content": "Words."}
        return None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("PATCH", "/authors/{id}", 200, owned=True),
    Endpoint("DELETE", "/authors/{id}", 204, owned=True),
    Endpoint("POST", "/articles", 201, owned=False),
    Endpoint("PATCH", "/articles/{id}", 200, owned=True),
    Endpoint("DELETE", "/articles/{id}", 204, owned=True),
    Endpoint("GET", "/auth/me", 200, owned=False),
]
WRITES = [endpoint for endpoint in ENDPOINTS if endpoint.method != "GET"]


async def target(world: World, endpoint: Endpoint) -> tuple[Account, str]:
    """An owner of the case's own, and the request's path (to the owner's account or article)."""
    owner = await world.fresh_account()
    if endpoint.path == "/authors/{id}":
        return owner, f"/authors/{owner.id}"
    if endpoint.path == "/articles/{id}":
        article = await create_article(world.client, owner)
        return owner, f"/articles/{article['id']}"
    return owner, endpoint.path


async def snapshot(world: World, path: str, owner: Account) -> tuple[tuple[int, int], int, Any]:
    """How many rows there are, and the row at ``path`` as a GET shows it."""
    response = await world.client.get(path, headers=owner.headers)
    return await world.counts(), response.status_code, response.json()


async def run_case(world: World, endpoint: Endpoint, kind: str) -> None:
    owner, path = await target(world, endpoint)
    row_path = path if "{id}" in endpoint.path else "/auth/me"
    before = await snapshot(world, row_path, owner)
    headers = KINDS[kind](world, owner)
    caller = world.other if kind == "someone else" else owner

    response = await world.client.request(endpoint.method, path, json=endpoint.body(kind), headers=headers)

    if kind in REFUSED:
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert await snapshot(world, row_path, owner) == before, "a refused request wrote something"
        return
    if kind == "someone else" and endpoint.owned:
        assert_problem(response, 403)
        assert await snapshot(world, row_path, owner) == before, "a refused request wrote something"
        return
    assert response.status_code == endpoint.success, response.text
    await check_success(world, endpoint, kind, caller, path, before, response)


async def check_success(
    world: World, endpoint: Endpoint, kind: str, caller: Account, path: str, before: Any, response: Any
) -> None:
    (authors, articles), _, _ = before
    if endpoint.method == "DELETE":
        assert response.content == b""
        assert_problem(await world.client.get(path), 404)
        gone = (1, 1) if path.startswith("/authors") else (0, 1)  # an author goes with their article
        assert await world.counts() == (authors - gone[0], articles - gone[1])
        return
    body = response.json()
    if endpoint.method == "POST":
        assert body["author_id"] == caller.id
        assert response.headers["location"] == f"/articles/{body['id']}"
        assert await world.counts() == (authors, articles + 1)
    elif endpoint.path == "/auth/me":
        assert (body["id"], body["email"]) == (caller.id, caller.author["email"])
    elif endpoint.path == "/authors/{id}":
        assert (body["id"], body["bio"], body["email"]) == (caller.id, f"by {kind}", caller.author["email"])
    else:
        assert (body["author_id"], body["title"]) == (caller.id, f"by {kind}")
    if endpoint.method == "PATCH":
        assert (await world.client.get(path)).json() == {k: v for k, v in body.items() if k != "email"}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("kind", KINDS)
async def test_every_credential_on_every_protected_endpoint(world: World, endpoint: Endpoint, kind: str) -> None:
    await run_case(world, endpoint, kind)


SMOKE_KINDS = ["no token", "expired", "deleted author", "someone else", "owner"]


@pytest.mark.parametrize("endpoint", [ENDPOINTS[1], ENDPOINTS[3]], ids=str)  # DELETE /authors, PATCH /articles
@pytest.mark.parametrize("kind", SMOKE_KINDS)
async def test_credentials_smoke_on_sqlite(sqlite_world: World, endpoint: Endpoint, kind: str) -> None:
    """A few of the matrix's cases on the other backend (the matrix itself runs on PostgreSQL)."""
    await run_case(sqlite_world, endpoint, kind)


async def test_a_deleted_accounts_token_does_not_pass_for_the_next_account(client: AsyncTestClient) -> None:
    """On both backends: SQLite gives a new row the id of a deleted last one, if nothing stops it."""
    ada = await sign_up(client, "ada")
    assert (await client.delete(f"/authors/{ada.id}", headers=ada.headers)).status_code == 204
    bob = await sign_up(client, "bob")

    response = await client.get("/auth/me", headers=ada.headers)

    assert response.status_code == 401, f"Ada's old token answers as author {bob.id}: {response.text}"
    assert_problem(response, 401)
    assert_problem(await client.patch(f"/authors/{bob.id}", json={"bio": "mine"}, headers=ada.headers), 401)
    assert (await client.get(f"/authors/{bob.id}")).json()["bio"] is None


# --- creating or moving an article in someone else's name --------------------------------------


@pytest.mark.parametrize(
    ("claimed", "status"),
    [("other", 403), ("missing", 404), ("own", None)],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_an_articles_author_id_may_only_name_the_caller(
    world: World, method: str, claimed: str, status: int | None
) -> None:
    author_id = {"other": world.other.id, "missing": MISSING_ID, "own": world.owner.id}[claimed]
    article = await create_article(world.client, world.owner)
    path = "/articles" if method == "POST" else f"/articles/{article['id']}"
    before = await world.counts(), (await world.client.get(f"/articles/{article['id']}")).json()
    body = {"title": "Claimed", "content": "Words.", "author_id": author_id}

    response = await world.client.request(method, path, json=body, headers=world.owner.headers)

    if status is None:
        assert response.status_code == (201 if method == "POST" else 200), response.text
        assert response.json()["author_id"] == world.owner.id
        return
    assert_problem(response, status)
    assert (await world.counts(), (await world.client.get(f"/articles/{article['id']}")).json()) == before


# --- 401, then 400, then 404, then 403 ---------------------------------------------------------

INVALID_BODY = {"/authors/{id}": {"first_name": ""}, "/articles/{id}": {"title": ""}, "/articles": {"title": ""}}
VALID_BODY = {"/authors/{id}": {"bio": "x"}, "/articles/{id}": {"title": "x"}, "/articles": {"title": "x"}}


@dataclass(frozen=True)
class Situation:
    token: bool
    body: str | None
    """``valid``, ``invalid``, or None: no body (a DELETE)."""
    row: str
    """``others``: someone else's, ``missing``, or ``out of range``."""
    status: int

    def __str__(self) -> str:
        token = "token" if self.token else "no token"
        body = f", {self.body} body" if self.body else ""
        return f"{token}{body}, {self.row} row -> {self.status}"


SITUATIONS = [
    Situation(token=False, body="invalid", row="others", status=401),
    Situation(token=False, body="invalid", row="missing", status=401),
    Situation(token=False, body="invalid", row="out of range", status=401),
    Situation(token=True, body="invalid", row="others", status=400),
    Situation(token=True, body="invalid", row="missing", status=400),
    Situation(token=True, body="valid", row="out of range", status=400),
    Situation(token=True, body="valid", row="missing", status=404),
    Situation(token=True, body="valid", row="others", status=403),
]
DELETE_SITUATIONS = [
    Situation(token=False, body=None, row="others", status=401),
    Situation(token=False, body=None, row="missing", status=401),
    Situation(token=False, body=None, row="out of range", status=401),
    Situation(token=True, body=None, row="out of range", status=400),
    Situation(token=True, body=None, row="missing", status=404),
    Situation(token=True, body=None, row="others", status=403),
]
ORDER_CASES = [
    pytest.param(endpoint, situation, id=f"{endpoint}: {situation}")
    for endpoint in WRITES
    for situation in (DELETE_SITUATIONS if endpoint.method == "DELETE" else SITUATIONS)
]


@pytest.mark.parametrize(("endpoint", "situation"), ORDER_CASES)
async def test_401_then_400_then_404_then_403(world: World, endpoint: Endpoint, situation: Situation) -> None:
    other_article = await create_article(world.client, world.other)
    ids = {
        "others": other_article["id"] if endpoint.path == "/articles/{id}" else world.other.id,
        "missing": MISSING_ID,
        "out of range": OUT_OF_RANGE_ID,
    }
    if endpoint.path == "/articles":
        # No id in the path: the row is the author the body names.
        path = endpoint.path
        body: dict[str, Any] | None = {"content": "Words.", **VALID_BODY[endpoint.path]}
        if situation.body == "invalid":
            body.update(INVALID_BODY[endpoint.path])
        body["author_id"] = ids[situation.row]
    else:
        path = endpoint.path.format(id=ids[situation.row])
        body = {"valid": VALID_BODY, "invalid": INVALID_BODY}[situation.body][endpoint.path] if situation.body else None
    before = await others_rows(world, other_article)
    headers = world.owner.headers if situation.token else {}

    response = await world.client.request(endpoint.method, path, json=body, headers=headers)

    problem = assert_problem(response, situation.status)
    if situation.status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    if situation.status == 400 and situation.body == "invalid":
        assert {param["name"] for param in problem["invalid_params"]} >= set(INVALID_BODY[endpoint.path])
    assert await others_rows(world, other_article) == before


async def others_rows(world: World, article: dict[str, Any]) -> tuple[Any, ...]:
    """The row counts, and someone else's account and article as GET shows them."""
    author = (await world.client.get(f"/authors/{world.other.id}")).json()
    return await world.counts(), author, (await world.client.get(f"/articles/{article['id']}")).json()


# --- odd tokens: never a 500 -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 with the HS256 key
@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda w: jwt.encode(claims(w.owner.id), TEST_SECRET, algorithm="HS512"), id="HS512"),
        pytest.param(lambda w: jwt.encode({**claims(w.owner.id), "sub": w.owner.id}, TEST_SECRET), id="sub int"),
        pytest.param(lambda w: jwt.encode({**claims(0), "sub": None}, TEST_SECRET), id="sub null"),
        pytest.param(lambda w: jwt.encode(claims_without(w.owner.id, "sub"), TEST_SECRET), id="no sub"),
        pytest.param(lambda w: jwt.encode(claims_without(w.owner.id, "exp"), TEST_SECRET), id="no exp"),
        pytest.param(lambda w: jwt.encode(claims_without(w.owner.id, "iat"), TEST_SECRET), id="no iat"),
        pytest.param(lambda w: token_for("abc"), id="sub abc"),
        pytest.param(lambda w: token_for(""), id="sub empty"),
        pytest.param(lambda w: token_for("0"), id="sub 0"),
        pytest.param(lambda w: token_for("-1"), id="sub -1"),
        pytest.param(lambda w: token_for(str(2**63)), id="sub out of range"),
        pytest.param(lambda w: token_for(f"{w.owner.id}.0"), id="sub float"),
        pytest.param(lambda w: token_for(MISSING_ID), id="sub missing"),
        pytest.param(lambda w: "a" * 10_000, id="10 kB of garbage"),
        pytest.param(lambda w: f"{w.owner.token}.{w.owner.token}", id="two tokens"),
    ],
)
async def test_odd_tokens_are_401(world: World, make_token: Callable[[World], str]) -> None:
    response = await world.client.get("/auth/me", headers=bearer(make_token(world)))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


# --- POST /auth/token --------------------------------------------------------------------------


def assert_token_response(response: Any) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body.keys() == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 86_400)
    return str(body["access_token"])


async def test_login_as_a_form_or_as_json_by_username_or_email_in_any_case(client: AsyncTestClient) -> None:
    ada = await sign_up(client, "Ada", email="Ada.L@example.com")
    logins = [
        ({"grant_type": "password", "username": "Ada", "password": PASSWORD}, "form"),
        ({"username": "ada", "password": PASSWORD}, "json"),
        ({"grant_type": "password", "username": "ada.l@EXAMPLE.com", "password": PASSWORD}, "json"),
        ({"username": "ADA.L@example.com", "password": PASSWORD}, "form"),
    ]
    for body, encoding in logins:
        if encoding == "form":
            response = await client.post("/auth/token", data=body)
        else:
            response = await client.post("/auth/token", json=body)
        token = assert_token_response(response)
        assert PASSWORD not in response.text
        me = await client.get("/auth/me", headers=bearer(token))
        assert me.status_code == 200, (body, encoding, me.text)
        assert (me.json()["id"], me.json()["email"]) == (ada.id, "Ada.L@example.com")


async def log_in(client: AsyncTestClient, username: str) -> str:
    return assert_token_response(await client.post("/auth/token", json={"username": username, "password": PASSWORD}))


async def test_the_token_carries_sub_iat_exp_jti_and_lives_token_lifetime(world: World) -> None:
    first, second = await log_in(world.client, "other"), await log_in(world.client, "OTHER")

    decoded = jwt.decode(first, TEST_SECRET, algorithms=["HS256"])
    assert jwt.get_unverified_header(first)["alg"] == "HS256"
    assert {"sub", "iat", "exp", "jti"} <= decoded.keys()
    assert decoded["sub"] == str(world.other.id)
    assert decoded["exp"] - decoded["iat"] == 86_400
    assert isinstance(decoded["jti"], str)
    assert decoded["jti"] != jwt.decode(second, TEST_SECRET, algorithms=["HS256"])["jti"]


async def test_the_token_carries_no_other_claim(world: World) -> None:
    token = await log_in(world.client, "other")
    assert jwt.decode(token, TEST_SECRET, algorithms=["HS256"]).keys() == {"sub", "iat", "exp", "jti"}


@ONE_BACKEND
async def test_token_lifetime_is_a_setting(app: Any, database_url: str) -> None:
    settings = make_settings(database_url)
    settings = msgspec.structs.replace(settings, auth=AuthSettings(secret=TEST_SECRET, token_lifetime=600))
    async with AsyncTestClient(app=create_app(settings)) as client:
        await sign_up(client)
        response = await client.post("/auth/token", json={"username": "ada", "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 600
    decoded = jwt.decode(response.json()["access_token"], TEST_SECRET, algorithms=["HS256"])
    assert decoded["exp"] - decoded["iat"] == 600


@ONE_BACKEND
async def test_a_wrong_password_and_an_unknown_user_get_the_same_401(
    client: AsyncTestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_up(client, "ada")
    # Each attempt must cost one Argon2 verification, an unknown user's too (against a dummy
    # hash): counted, not timed.
    verified: list[str] = []
    verify = security.passwords.verify

    def counting_verify(password: str, password_hash: str) -> bool:
        verified.append(password_hash)
        return verify(password, password_hash)

    monkeypatch.setattr(security.passwords, "verify", counting_verify)
    wrong = "Tr0ub4dor&3 is not it"
    answers = []
    for attempt in (
        {"json": {"username": "ada", "password": wrong}},
        {"data": {"username": "ada@example.com", "password": wrong}},
        {"json": {"username": "nobody", "password": PASSWORD}},
        {"data": {"username": "nobody@example.com", "password": wrong}},
    ):
        before = len(verified)
        answers.append(await client.post("/auth/token", **attempt))
        assert len(verified) == before + 1, attempt
        assert verified[-1].startswith("$argon2id$")
    for response in answers:
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert wrong not in response.text
        assert PASSWORD not in response.text
        assert "access_token" not in response.text
    # One answer for all four, but for each request's own id.
    bodies = [{k: v for k, v in response.json().items() if k != "request_id"} for response in answers]
    assert all(body == bodies[0] for body in bodies), bodies


GOOD_LOGIN = {"username": "owner", "password": PASSWORD}


@pytest.mark.parametrize(
    ("body", "encoding", "fields"),
    [
        ({}, "json", {"username", "password"}),
        ({"scope": ""}, "form", {"username", "password"}),
        ({"username": "owner"}, "json", {"password"}),
        ({"password": PASSWORD}, "form", {"username"}),
        ({**GOOD_LOGIN, "grant_type": "client_credentials"}, "json", {"grant_type"}),
        ({**GOOD_LOGIN, "grant_type": "authorization_code"}, "form", {"grant_type"}),
        ({**GOOD_LOGIN, "grant_type": None}, "json", {"grant_type"}),
        ({**GOOD_LOGIN, "remember_me": True}, "json", {"remember_me"}),
        ({**GOOD_LOGIN, "remember_me": "yes"}, "form", {"remember_me"}),
        ({"username": "", "password": ""}, "json", {"username", "password"}),
        ({"username": 7, "password": ["x"]}, "json", {"username", "password"}),
        ({"username": "owner", "password": "p" * 257}, "json", {"password"}),
        ({"username": "u" * 255, "password": PASSWORD}, "json", {"username"}),
        ({"username": "u", "password": None, "grant_type": "", "x": 1}, "json", {"password", "grant_type", "x"}),
    ],
)
async def test_a_bad_login_body_is_400_naming_each_field(
    world: World, body: dict[str, Any], encoding: str, fields: set[str]
) -> None:
    kwargs = {"json": body} if encoding == "json" else {"data": body}
    response = await world.client.post("/auth/token", **kwargs)
    problem = assert_problem(response, 400)
    assert {param["name"] for param in problem["invalid_params"]} == fields
    assert PASSWORD not in response.text
    assert "access_token" not in response.text


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (f"username=owner&password={PASSWORD}", "text/plain", 415),
        (json.dumps(GOOD_LOGIN), "text/plain", 415),
        (json.dumps(GOOD_LOGIN), "application/xml", 415),
        ("{", "application/json", 400),
        ("[]", "application/json", 400),
        ('"owner"', "application/json", 400),
        ("", "application/json", 400),
    ],
)
async def test_a_login_body_that_is_neither_a_form_nor_a_json_object_is_refused(
    world: World, content: str, content_type: str, status: int
) -> None:
    response = await world.client.post("/auth/token", content=content, headers={"content-type": content_type})
    assert_problem(response, status)
    assert PASSWORD not in response.text


# --- the signing key ---------------------------------------------------------------------------


def with_auth(settings: Settings, **auth: Any) -> Settings:
    return msgspec.structs.replace(settings, auth=AuthSettings(**auth))


@pytest.mark.parametrize("secret", ["short-but-secret", "x" * 31, "é" * 15 + "x"])
def test_a_secret_shorter_than_32_bytes_stops_the_app_naming_the_setting(tmp_path: Path, secret: str) -> None:
    settings = with_auth(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'blog.sqlite3'}"), secret=secret)
    with pytest.raises(SettingsError) as raised:
        create_app(settings)
    message = str(raised.value)
    assert "auth.secret" in message
    assert "AUTH_SECRET" in message
    assert secret not in message
    assert secret not in repr(raised.value)


def test_a_32_byte_secret_is_enough(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'blog.sqlite3'}"
    create_app(with_auth(make_settings(url), secret="é" * 16))  # 16 characters, 32 bytes


def test_load_settings_takes_auth_secret_from_the_environment(tmp_path: Path) -> None:
    secret = "from the environment, and long enough to sign"
    settings = load_settings(tmp_path / "absent.toml", environ={"AUTH_SECRET": secret, "AUTH_TOKEN_LIFETIME": "60"})
    assert (settings.auth.secret, settings.auth.token_lifetime) == (secret, 60)
    assert secret not in repr(settings)
    short = load_settings(tmp_path / "absent.toml", environ={"AUTH_SECRET": "tiny-key"})
    with pytest.raises(SettingsError, match="AUTH_SECRET") as raised:
        create_app(msgspec.structs.replace(short, database=make_settings(f"sqlite+aiosqlite:///{tmp_path}/b").database))
    assert "tiny-key" not in str(raised.value)


@ONE_BACKEND
async def test_without_a_secret_the_app_warns_and_its_tokens_die_with_it(
    app: Any, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    keyless = with_auth(make_settings(database_url), secret="")

    def warnings() -> int:
        return sum(
            record.name == "blog.security"
            and record.levelno == logging.WARNING
            and "AUTH_SECRET" in record.getMessage()
            for record in caplog.records
        )

    # Litestar's logging set-up, run by every new app, detaches the capture from the root logger.
    security_log = logging.getLogger("blog.security")
    security_log.addHandler(caplog.handler)
    try:
        first, second = create_app(keyless), create_app(keyless)
        assert warnings() == 0, caplog.text  # built, serving nothing (`litestar routes`): nothing to say
        async with AsyncTestClient(app=first) as one, AsyncTestClient(app=second) as two:
            assert warnings() == 2, caplog.text  # each says so as it starts serving
            ada = await sign_up(one)
            login = await one.post("/auth/token", json={"username": "ada", "password": PASSWORD})
            token = assert_token_response(login)
            assert (await one.get("/auth/me", headers=bearer(token))).json()["id"] == ada.id
            assert_problem(await two.get("/auth/me", headers=bearer(token)), 401)
            # Nor does the keyless app take a token signed with some known key.
            assert_problem(await one.get("/auth/me", headers=ada.headers), 401)
            assert_problem(await two.patch(f"/authors/{ada.id}", json={"bio": "x"}, headers=bearer(token)), 401)
    finally:
        security_log.removeHandler(caplog.handler)


@pytest.fixture
def all_logs(client: AsyncTestClient, caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, captured, including those that do not propagate to the root; the
    database drivers at INFO, the most ``database.echo`` turns on (their DEBUG logs every row
    and every call's arguments, and nothing in the app turns it on).

    Set up after ``client``: building an app runs Litestar's logging set-up, which resets levels.
    """
    caplog.set_level(logging.DEBUG)
    attached = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            drivers = name.startswith(("sqlalchemy", "aiosqlite", "asyncpg"))
            caplog.set_level(logging.INFO if drivers else logging.DEBUG, logger=name)
            if not logger.propagate:
                logger.addHandler(caplog.handler)
                attached.append(logger)
    yield caplog
    for logger in attached:
        logger.removeHandler(caplog.handler)


WRONG_PASSWORD = "not the passphrase at all"


async def sign_up_log_in_and_fail(client: AsyncTestClient) -> list[str]:
    """Sign-up, logins good and bad, and 401s of every sort: the bodies of all the answers."""
    ada = await sign_up(client, "ada")
    expired = token_for(ada.id, lifetime=timedelta(hours=-1))
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/auth/token", {"data": {"username": "ada", "password": PASSWORD}}),
        ("POST", "/auth/token", {"json": {"username": "ada", "password": WRONG_PASSWORD}}),
        ("POST", "/auth/token", {"json": {"username": "nobody", "password": WRONG_PASSWORD}}),
        ("POST", "/auth/token", {"json": {"username": "ada", "password": PASSWORD, "x": 1}}),
        ("PATCH", f"/authors/{ada.id}", {"json": {"password": "short"}, "headers": ada.headers}),
        ("GET", "/auth/me", {"headers": bearer(token_for(ada.id, secret=ANOTHER_SECRET))}),
        ("GET", "/auth/me", {"headers": bearer(expired)}),
        ("GET", "/auth/me", {"headers": {"Authorization": f"Basic {b64url(f'ada:{PASSWORD}'.encode())}"}}),
        ("DELETE", f"/authors/{ada.id}", {"headers": bearer(tampered_signature(ada.token))}),
        ("GET", "/auth/me", {"headers": ada.headers}),
        ("GET", f"/authors/{ada.id}", {}),
        ("GET", "/authors", {}),
    ]
    responses = [await client.request(method, path, **kwargs) for method, path, kwargs in requests]
    assert [r.status_code for r in responses] == [200, 401, 401, 400, 400, 401, 401, 401, 401, 200, 200, 200]
    return [json.dumps(ada.author), *(response.text for response in responses)]


async def stored_hash(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT password_hash FROM author"))).scalar_one()
    assert stored.startswith("$argon2id$")
    return str(stored)


def assert_nowhere(secret: str, name: str, records: list[logging.LogRecord], logged: str, bodies: list[str]) -> None:
    leaks = [f"{r.name}: {r.getMessage()[:200]}" for r in records if secret in r.getMessage()]
    assert secret not in logged, f"{name} is in the log: {leaks[:4]}"
    for body in bodies:
        assert secret not in body, f"{name} is in a response: {body[:300]}"


async def test_no_secret_or_password_in_any_log_line_or_response(
    client: AsyncTestClient, engine: AsyncEngine, all_logs: pytest.LogCaptureFixture
) -> None:
    bodies = await sign_up_log_in_and_fail(client)
    stored = await stored_hash(engine)
    assert all_logs.records, "nothing was captured: the capture is broken"
    secrets = {"the secret": TEST_SECRET, "the password": PASSWORD, "a wrong password": WRONG_PASSWORD}
    for name, secret in secrets.items():
        assert_nowhere(secret, name, all_logs.records, all_logs.text, bodies)
    for body in bodies:
        assert stored not in body
        assert stored.rsplit("$", 1)[1] not in body  # the digest alone


async def test_no_password_hash_in_any_log_line(
    client: AsyncTestClient, engine: AsyncEngine, all_logs: pytest.LogCaptureFixture
) -> None:
    bodies = await sign_up_log_in_and_fail(client)
    stored = await stored_hash(engine)
    for name, secret in {"the hash": stored, "the hash's digest": stored.rsplit("$", 1)[1]}.items():
        assert_nowhere(secret, name, all_logs.records, all_logs.text, bodies)


@ONE_BACKEND
async def test_no_password_hash_in_the_log_when_database_echo_is_on(
    app: Any, database_url: str, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """``database.echo`` (``DATABASE_ECHO``), the documented switch for logging SQL, at the levels it sets itself."""
    echoing = create_app(make_settings(database_url, echo=True))
    root = logging.getLogger()
    root.addHandler(caplog.handler)  # Litestar's logging set-up detached it
    try:
        async with AsyncTestClient(app=echoing) as client:
            bodies = await sign_up_log_in_and_fail(client)
    finally:
        root.removeHandler(caplog.handler)
    stored = await stored_hash(engine)
    assert any(record.name.startswith("sqlalchemy.engine") for record in caplog.records), "SQL was not logged"
    for name, secret in {"the hash": stored, "the password": PASSWORD}.items():
        assert_nowhere(secret, name, caplog.records, caplog.text, bodies)


# --- the OpenAPI document ----------------------------------------------------------------------

PROTECTED = {
    ("patch", "/authors/{author_id}"): True,
    ("delete", "/authors/{author_id}"): True,
    ("post", "/articles"): True,
    ("patch", "/articles/{article_id}"): True,
    ("delete", "/articles/{article_id}"): True,
    ("get", "/auth/me"): False,
}
"""The operations that take a token, and whether ownership applies (a documented 403)."""


async def test_openapi_declares_the_bearer_token_on_exactly_the_protected_operations(world: World) -> None:
    document = (await world.client.get("/docs/openapi.json")).json()

    schemes = document["components"]["securitySchemes"]
    bearer = {name: scheme for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"}
    assert len(bearer) == 1, schemes
    [(name, scheme)] = bearer.items()
    assert "`POST /auth/token`" in scheme["description"]
    assert not document.get("security"), "a document-level requirement would mark public operations too"

    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        # The RealWorld API's: tests/test_health_and_docs.py
        if method in {"get", "post", "put", "patch", "delete"} and not path.startswith("/api/")
    }
    assert set(PROTECTED) <= set(operations)
    assert {("post", "/auth/token"), ("post", "/authors"), ("get", "/healthcheck")} <= set(operations)
    for key, operation in operations.items():
        where = " ".join(key)
        if key in PROTECTED:
            assert operation.get("security") == [{name: []}], where
            assert "401" in operation["responses"], where
            assert ("403" in operation["responses"]) is PROTECTED[key], where
        else:
            assert not operation.get("security"), where
            assert "403" not in operation["responses"], where

    login = operations[("post", "/auth/token")]
    content = login["requestBody"]["content"]
    # JSON is accepted too (tests above), but documented, it breaks a generated client: blog/domain/auth/schemas.py
    assert set(content) == {FORM}
    for media_type in content.values():
        schema = media_type["schema"]
        assert {"username", "password", "grant_type"} <= schema["properties"].keys()
        assert set(schema["required"]) == {"username", "password"}
    assert {"200", "400", "401", "429"} <= login["responses"].keys()
