"""The RealWorld ("Conduit") API under ``/api``: every operation and every error it answers.

Upstream's own suite runs from ``.ci/realworld``; these tests are this project's, on both
backends, and check what that suite does not: that nothing is written on a refused request,
who may do what, the words of each error, and the statements a page costs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.app import create_app
from tests.conftest import empty_tables, make_settings
from tests.helpers import ONE_BACKEND, PASSWORD, count_rows

Client = AsyncTestClient[Any]


class Conduit:
    """A RealWorld user: their token, and the calls the tests make as them."""

    def __init__(self, client: Client, user: dict[str, Any]) -> None:
        self.client = client
        self.user = user

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.user['token']}"}

    async def write(self, title: str = "How to train your dragon", **fields: Any) -> dict[str, Any]:
        body = {"title": title, "description": "Ever wonder how?", "body": "You have to believe", **fields}
        response = await self.client.post("/api/articles", json={"article": body}, headers=self.headers)
        assert response.status_code == 201, response.text
        return dict(response.json()["article"])


async def register(client: Client, username: str = "jake") -> Conduit:
    body = {"user": {"username": username, "email": f"{username}@jake.jake", "password": PASSWORD}}
    response = await client.post("/api/users", json=body)
    assert response.status_code == 201, response.text
    return Conduit(client, response.json()["user"])


def assert_errors(response: Any, status: int, errors: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """A RealWorld error: ``status``, JSON ``{"errors": ...}`` (with exactly ``errors``, if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    found: dict[str, list[str]] = response.json()["errors"]
    if errors is not None:
        assert found == errors
    return found


MISSING = {"token": ["is missing"]}
INVALID = {"token": ["is invalid"]}


# Users


async def test_register_answers_the_user_with_a_token_that_works_everywhere(client: Client) -> None:
    jake = await register(client)
    assert jake.user.keys() == {"email", "token", "username", "bio", "image"}
    assert (jake.user["username"], jake.user["email"], jake.user["bio"], jake.user["image"]) == (
        "jake",
        "jake@jake.jake",
        None,
        None,
    )
    me = await client.get("/api/user", headers=jake.headers)
    assert me.json() == {"user": jake.user}
    # The same account, and the same token, on the native API (in either scheme).
    native = await client.get("/auth/me", headers={"Authorization": f"Bearer {jake.user['token']}"})
    assert native.json()["username"] == "jake"


@ONE_BACKEND
async def test_register_names_every_bad_field_in_realworld_words_and_writes_nothing(
    client: Client, engine: AsyncEngine
) -> None:
    blank = {"user": {"username": "", "email": " ", "password": ""}}
    response = await client.post("/api/users", json=blank)
    assert_errors(
        response, 422, {"username": ["can't be blank"], "email": ["can't be blank"], "password": ["can't be blank"]}
    )
    bad = {"user": {"username": "a" * 41, "email": "nope", "password": "short", "admin": True}}
    assert_errors(
        await client.post("/api/users", json=bad),
        422,
        {
            "username": ["is too long (maximum is 40 characters)"],
            "email": ["must be an e-mail address like name@example.com (at most 254 characters)"],
            "password": ["is too short (minimum is 8 characters)"],
        },
    )
    missing = {"user": {"username": "jake"}}
    assert_errors(
        await client.post("/api/users", json=missing),
        422,
        {"email": ["can't be blank"], "password": ["can't be blank"]},
    )
    assert_errors(await client.post("/api/users", json={"username": "jake"}), 422, {"user": ["can't be blank"]})
    assert_errors(await client.post("/api/users", json={"user": "jake"}), 422, {"user": ["must be an object"]})
    typed = {"user": {"username": 7, "email": None, "password": ["x"]}}
    assert_errors(
        await client.post("/api/users", json=typed),
        422,
        {"username": ["must be a string"], "email": ["can't be blank"], "password": ["must be a string"]},
    )
    not_json = await client.post("/api/users", content=b"{", headers={"Content-Type": "application/json"})
    assert_errors(not_json, 422, {"body": ["is not valid JSON"]})
    assert await count_rows(engine, "author") == 0


async def test_register_ignores_fields_it_does_not_know(client: Client) -> None:
    body = {"user": {"username": "jake", "email": "jake@jake.jake", "password": PASSWORD, "token": "x", "id": 9}}
    response = await client.post("/api/users", json=body)
    assert response.status_code == 201, response.text


async def test_a_taken_username_or_email_is_409_naming_each(client: Client, engine: AsyncEngine) -> None:
    await register(client)
    both = {"user": {"username": "JAKE", "email": "Jake@Jake.jake", "password": PASSWORD}}
    assert_errors(
        await client.post("/api/users", json=both),
        409,
        {"username": ["has already been taken"], "email": ["has already been taken"]},
    )
    assert await count_rows(engine, "author") == 1


async def test_login_by_email_or_username(client: Client) -> None:
    jake = await register(client)
    for login in ("jake@jake.jake", "JAKE"):
        response = await client.post("/api/users/login", json={"user": {"email": login, "password": PASSWORD}})
        assert response.status_code == 200, response.text
        user = response.json()["user"]
        assert user["username"] == "jake"
        assert (await client.get("/api/user", headers={"Authorization": f"Token {user['token']}"})).json()["user"][
            "email"
        ] == jake.user["email"]


async def test_login_failures_say_credentials_invalid_and_are_throttled(client: Client) -> None:
    await register(client)
    for login, password in (("jake@jake.jake", "wrong password"), ("nobody@jake.jake", PASSWORD)):
        response = await client.post("/api/users/login", json={"user": {"email": login, "password": password}})
        assert_errors(response, 401, {"credentials": ["invalid"]})
    blank = await client.post("/api/users/login", json={"user": {"email": "", "password": ""}})
    assert_errors(blank, 422, {"email": ["can't be blank"], "password": ["can't be blank"]})
    wrong = {"user": {"email": "jake@jake.jake", "password": "wrong password"}}
    # Ten failures a minute from one address (two above, eight here), then 429.
    statuses = [(await client.post("/api/users/login", json=wrong)).status_code for _ in range(9)]
    assert statuses == [401] * 8 + [429]
    refused = await client.post("/api/users/login", json=wrong)
    assert list(assert_errors(refused, 429)) == ["credentials"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_current_user_needs_a_valid_token(client: Client) -> None:
    jake = await register(client)
    missing = await client.get("/api/user")
    assert_errors(missing, 401, MISSING)
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_errors(await client.get("/api/user", headers={"Authorization": "Token"}), 401, MISSING)
    assert_errors(await client.get("/api/user", headers={"Authorization": "Token nope"}), 401, INVALID)
    forged = jake.user["token"][:-2] + ("AA" if not jake.user["token"].endswith("AA") else "BB")
    assert_errors(await client.get("/api/user", headers={"Authorization": f"Token {forged}"}), 401, INVALID)


async def test_update_user(client: Client) -> None:
    jake = await register(client)

    async def put(**fields: Any) -> Any:
        return await client.put("/api/user", json={"user": fields}, headers=jake.headers)

    response = await put(bio="I work at statefarm", image="https://i.stack.imgur.com/xHWG8.jpg")
    assert response.status_code == 200, response.text
    assert response.json()["user"] == {
        **jake.user,
        "bio": "I work at statefarm",
        "image": "https://i.stack.imgur.com/xHWG8.jpg",
    }
    assert (await put(bio="", image=None)).json()["user"]["bio"] is None  # "" and null both clear
    assert (await client.get("/api/user", headers=jake.headers)).json()["user"]["image"] is None
    assert (await put(username="jacob", email="jacob@jake.jake", password="a new password")).status_code == 200
    login = {"user": {"email": "jacob@jake.jake", "password": "a new password"}}
    assert (await client.post("/api/users/login", json=login)).json()["user"]["username"] == "jacob"
    assert (await put()).json()["user"]["username"] == "jacob"  # nothing to change: still 200


async def test_update_user_refuses_bad_fields_and_changes_nothing(client: Client) -> None:
    jake = await register(client)
    await register(client, "finn")

    async def put(**fields: Any) -> Any:
        return await client.put("/api/user", json={"user": fields}, headers=jake.headers)

    assert_errors(
        await put(email="", username=None, password="short", image="ftp://x"),
        422,
        {
            "email": ["can't be blank"],
            "username": ["can't be blank"],
            "password": ["is too short (minimum is 8 characters)"],
            "image": ["must be an absolute http(s) URL without spaces, like https://example.com/me.png, or empty"],
        },
    )
    assert_errors(await put(password=None), 422, {"password": ["can't be blank"]})
    assert_errors(await put(username="finn", bio="taken"), 409, {"username": ["has already been taken"]})
    assert_errors(await client.put("/api/user", json={"user": {"bio": "x"}}), 401, MISSING)
    assert (await client.get("/api/user", headers=jake.headers)).json() == {"user": jake.user}


# Profiles


async def test_profiles_and_following(client: Client) -> None:
    jake = await register(client)
    await register(client, "celeb")
    anonymous = await client.get("/api/profiles/celeb")
    assert anonymous.json() == {"profile": {"username": "celeb", "bio": None, "image": None, "following": False}}
    followed = await client.post("/api/profiles/celeb/follow", headers=jake.headers)
    assert followed.status_code == 200, followed.text
    assert followed.json()["profile"]["following"] is True
    assert (await client.post("/api/profiles/CELEB/follow", headers=jake.headers)).status_code == 200  # twice: fine
    assert (await client.get("/api/profiles/celeb", headers=jake.headers)).json()["profile"]["following"] is True
    assert (await client.get("/api/profiles/celeb")).json()["profile"]["following"] is False
    unfollowed = await client.delete("/api/profiles/celeb/follow", headers=jake.headers)
    assert unfollowed.status_code == 200, unfollowed.text
    assert unfollowed.json()["profile"]["following"] is False
    assert (await client.delete("/api/profiles/celeb/follow", headers=jake.headers)).status_code == 200
    assert (await client.get("/api/profiles/celeb", headers=jake.headers)).json()["profile"]["following"] is False


async def test_profile_errors(client: Client, engine: AsyncEngine) -> None:
    jake = await register(client)
    assert_errors(await client.get("/api/profiles/nobody"), 404, {"profile": ["not found"]})
    assert_errors(await client.get("/api/profiles/jake", headers={"Authorization": "Token x"}), 401, INVALID)
    for method in ("POST", "DELETE"):
        assert_errors(await client.request(method, "/api/profiles/jake/follow"), 401, MISSING)
        missing = await client.request(method, "/api/profiles/nobody/follow", headers=jake.headers)
        assert_errors(missing, 404, {"profile": ["not found"]})
    self_follow = await client.post("/api/profiles/jake/follow", headers=jake.headers)
    assert_errors(self_follow, 422, {"username": ["is your own: nobody follows themselves"]})
    assert await count_rows(engine, "follow") == 0


# Articles


async def test_write_read_and_list_an_article(client: Client) -> None:
    jake = await register(client)
    article = await jake.write(tagList=["dragons", "training", "Angular"])
    assert article.keys() == {
        "slug",
        "title",
        "description",
        "body",
        "tagList",
        "createdAt",
        "updatedAt",
        "favorited",
        "favoritesCount",
        "author",
    }
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["tagList"] == ["dragons", "training", "Angular"]  # the order given
    assert (article["favorited"], article["favoritesCount"]) == (False, 0)
    assert article["author"] == {"username": "jake", "bio": None, "image": None, "following": False}
    assert article["createdAt"].endswith("Z")
    fetched = await client.get(f"/api/articles/{article['slug']}")
    assert fetched.json() == {"article": article}
    listed = (await client.get("/api/articles")).json()
    assert listed["articlesCount"] == 1
    assert listed["articles"] == [{key: value for key, value in article.items() if key != "body"}]


async def test_same_titles_get_distinct_slugs_and_feed_is_no_slug(client: Client) -> None:
    jake = await register(client)
    slugs = {(await jake.write("Same title"))["slug"] for _ in range(3)}
    assert len(slugs) == 3
    assert "same-title" in slugs
    feed = await jake.write("Feed")
    assert feed["slug"] != "feed"
    assert (await client.get(f"/api/articles/{feed['slug']}")).json()["article"]["title"] == "Feed"


@ONE_BACKEND
async def test_write_refuses_bad_fields_and_writes_nothing(client: Client, engine: AsyncEngine) -> None:
    jake = await register(client)

    async def post(**fields: Any) -> Any:
        return await client.post("/api/articles", json={"article": fields}, headers=jake.headers)

    assert_errors(
        await post(title="", description=" ", body=""),
        422,
        {"title": ["can't be blank"], "description": ["can't be blank"], "body": ["can't be blank"]},
    )
    assert_errors(
        await post(title="t" * 201, description="d", body="b", tagList=["a", "a"]),
        422,
        {"title": ["is too long (maximum is 200 characters)"], "tagList": ["must not name a tag twice"]},
    )
    assert_errors(
        await post(title="t", description="d", body="b", tagList=[str(n) for n in range(21)]),
        422,
        {"tagList": ["is too long (maximum is 20 items)"]},
    )
    assert_errors(
        await post(title="t", description="d", body="b", tagList=["ok", "x" * 41]),
        422,
        {"tagList": ["item 2 is too long (maximum is 40 characters)"]},
    )
    assert_errors(await post(title="t", description="d", body="b", tagList=None), 422, {"tagList": ["must be a list"]})
    assert_errors(await post(title="t"), 422, {"description": ["can't be blank"], "body": ["can't be blank"]})
    assert await count_rows(engine, "article") == 0
    assert await count_rows(engine, "tag") == 0


async def test_update_an_article(client: Client) -> None:
    jake = await register(client)
    article = await jake.write(tagList=["dragons", "training"])

    async def put(slug: str, **fields: Any) -> dict[str, Any]:
        response = await client.put(f"/api/articles/{slug}", json={"article": fields}, headers=jake.headers)
        assert response.status_code == 200, response.text
        return dict(response.json()["article"])

    body_only = await put(article["slug"], body="With two hands")
    assert body_only["body"] == "With two hands"
    assert body_only["tagList"] == ["dragons", "training"]  # omitted: kept
    assert body_only["slug"] == article["slug"]
    assert body_only["createdAt"] == article["createdAt"]
    assert body_only["updatedAt"] > article["updatedAt"]
    retitled = await put(article["slug"], title="Did you train your dragon?", tagList=["training", "new"])
    assert retitled["slug"] == "did-you-train-your-dragon"
    assert retitled["tagList"] == ["training", "new"]
    assert_errors(await client.get(f"/api/articles/{article['slug']}"), 404, {"article": ["not found"]})
    assert (await put(retitled["slug"], tagList=[]))["tagList"] == []  # [] clears
    refused = await client.put(
        f"/api/articles/{retitled['slug']}", json={"article": {"tagList": None, "title": ""}}, headers=jake.headers
    )
    assert_errors(refused, 422, {"tagList": ["must be a list"], "title": ["can't be blank"]})
    assert (await client.get(f"/api/articles/{retitled['slug']}")).json()["article"]["title"] == retitled["title"]


async def test_only_the_author_changes_or_deletes_an_article(client: Client, engine: AsyncEngine) -> None:
    jake, finn = await register(client), await register(client, "finn")
    slug = (await jake.write())["slug"]
    await finn.client.post(f"/api/articles/{slug}/comments", json={"comment": {"body": "Nice"}}, headers=finn.headers)
    change = {"article": {"body": "hijacked"}}
    for method, body in (("PUT", change), ("DELETE", None)):
        path = f"/api/articles/{slug}"
        assert_errors(await client.request(method, path, json=body), 401, MISSING)
        assert_errors(
            await client.request(method, path, json=body, headers=finn.headers), 403, {"article": ["forbidden"]}
        )
        missing = await client.request(method, "/api/articles/nope", json=body, headers=finn.headers)
        assert_errors(missing, 404, {"article": ["not found"]})
    assert (await client.get(f"/api/articles/{slug}")).json()["article"]["body"] == "You have to believe"
    assert (await client.delete(f"/api/articles/{slug}", headers=jake.headers)).status_code == 204
    assert_errors(await client.get(f"/api/articles/{slug}"), 404, {"article": ["not found"]})
    assert await count_rows(engine, "comment") == 0  # deleted with their article


async def test_listing_filters_pages_and_counts(client: Client) -> None:
    jake, finn = await register(client), await register(client, "finn")
    for number in range(3):
        await jake.write(f"Jake {number}", tagList=["dragons"] if number else [])
    await finn.write("Finn", tagList=["dragons", "swords"])
    await client.post("/api/articles/jake-0/favorite", headers=finn.headers)

    async def listed(**query: Any) -> tuple[list[str], int]:
        response = await client.get("/api/articles", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        return [article["title"] for article in body["articles"]], body["articlesCount"]

    assert await listed() == (["Finn", "Jake 2", "Jake 1", "Jake 0"], 4)  # newest first
    assert await listed(limit=2) == (["Finn", "Jake 2"], 4)
    assert await listed(limit=2, offset=2) == (["Jake 1", "Jake 0"], 4)
    assert await listed(offset=10) == ([], 4)
    assert await listed(tag="dragons") == (["Finn", "Jake 2", "Jake 1"], 3)
    assert await listed(tag="swords", author="finn") == (["Finn"], 1)
    assert await listed(author="JAKE", limit=1) == (["Jake 2"], 3)
    assert await listed(favorited="finn") == (["Jake 0"], 1)
    assert await listed(author="nobody") == ([], 0)
    assert await listed(tag="nothing") == ([], 0)


@ONE_BACKEND
async def test_bad_listing_parameters_are_422_naming_each(client: Client) -> None:
    response = await client.get("/api/articles", params={"limit": 0, "offset": -1, "tag": ""})
    assert_errors(
        response,
        422,
        {
            "limit": ["must be greater than or equal to 1"],
            "offset": ["must be greater than or equal to 0"],
            "tag": ["can't be blank"],
        },
    )
    assert_errors(
        await client.get("/api/articles", params={"limit": 101}), 422, {"limit": ["must be less than or equal to 100"]}
    )
    assert_errors(await client.get("/api/articles", params={"limit": "ten"}), 422, {"limit": ["must be an integer"]})


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/articles?author=%00a", "author"),
        ("/api/articles?favorited=a%0d", "favorited"),
        ("/api/profiles/%00a", "username"),
        ("/api/articles/%00a", "slug"),
        ("/api/articles/a%00/comments", "slug"),
    ],
)
async def test_control_characters_in_names_are_422_not_500(client: Client, path: str, name: str) -> None:
    """PostgreSQL refuses a NUL in a statement's values: it is refused before it gets there (found by fuzzing)."""
    response = await client.get(path)
    assert response.status_code == 422, response.text
    assert name in response.json()["errors"]


async def test_a_reader_sees_what_they_favourite_and_follow(client: Client) -> None:
    jake, finn = await register(client), await register(client, "finn")
    first, second = await jake.write("First"), await jake.write("Second")
    await finn.write("Finn's")
    await client.post(f"/api/articles/{first['slug']}/favorite", headers=finn.headers)
    await client.post("/api/profiles/jake/follow", headers=finn.headers)
    page = (await client.get("/api/articles", headers=finn.headers)).json()["articles"]
    marks = {article["title"]: (article["favorited"], article["author"]["following"]) for article in page}
    assert marks == {"First": (True, True), "Second": (False, True), "Finn's": (False, False)}
    one = (await client.get(f"/api/articles/{first['slug']}", headers=finn.headers)).json()["article"]
    assert (one["favorited"], one["favoritesCount"], one["author"]["following"]) == (True, 1, True)
    anonymous = (await client.get(f"/api/articles/{second['slug']}")).json()["article"]
    assert (anonymous["favorited"], anonymous["author"]["following"]) == (False, False)
    # An invalid token is refused even where none is needed: its sender should know.
    assert_errors(await client.get("/api/articles", headers={"Authorization": "Token x"}), 401, INVALID)


async def test_feed(client: Client) -> None:
    reader, celeb, other = await register(client), await register(client, "celeb"), await register(client, "other")
    empty = await client.get("/api/articles/feed", headers=reader.headers)
    assert empty.json() == {"articles": [], "articlesCount": 0}
    await client.post("/api/profiles/celeb/follow", headers=reader.headers)
    for title in ("One", "Two"):
        await celeb.write(title)
    await other.write("Not followed")
    feed = (await client.get("/api/articles/feed", headers=reader.headers)).json()
    assert [article["title"] for article in feed["articles"]] == ["Two", "One"]
    assert feed["articlesCount"] == 2
    assert all(article["author"]["following"] for article in feed["articles"])
    assert "body" not in feed["articles"][0]
    page = (await client.get("/api/articles/feed", params={"limit": 1, "offset": 1}, headers=reader.headers)).json()
    assert ([article["title"] for article in page["articles"]], page["articlesCount"]) == (["One"], 2)
    assert_errors(await client.get("/api/articles/feed"), 401, MISSING)


async def test_favourites(client: Client, engine: AsyncEngine) -> None:
    jake, finn = await register(client), await register(client, "finn")
    slug = (await jake.write())["slug"]
    for account, count in ((finn, 1), (finn, 1), (jake, 2)):  # favouriting twice changes nothing
        response = await client.post(f"/api/articles/{slug}/favorite", headers=account.headers)
        assert response.status_code == 200, response.text
        article = response.json()["article"]
        assert (article["favorited"], article["favoritesCount"], article["body"]) == (
            True,
            count,
            "You have to believe",
        )
    unfavorited = (await client.delete(f"/api/articles/{slug}/favorite", headers=finn.headers)).json()["article"]
    assert (unfavorited["favorited"], unfavorited["favoritesCount"]) == (False, 1)
    assert (await client.delete(f"/api/articles/{slug}/favorite", headers=finn.headers)).json()["article"][
        "favoritesCount"
    ] == 1
    for method in ("POST", "DELETE"):
        assert_errors(await client.request(method, f"/api/articles/{slug}/favorite"), 401, MISSING)
        missing = await client.request(method, "/api/articles/nope/favorite", headers=finn.headers)
        assert_errors(missing, 404, {"article": ["not found"]})
    assert await count_rows(engine, "favorite") == 1


# Comments


async def test_comments(client: Client) -> None:
    jake, finn = await register(client), await register(client, "finn")
    slug = (await jake.write())["slug"]
    await client.post("/api/profiles/finn/follow", headers=jake.headers)
    made = []
    for account, body in ((finn, "First!"), (jake, "Thanks")):
        response = await client.post(
            f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=account.headers
        )
        assert response.status_code == 201, response.text
        made.append(response.json()["comment"])
    assert made[0].keys() == {"id", "createdAt", "updatedAt", "body", "author"}
    assert made[0]["author"] == {"username": "finn", "bio": None, "image": None, "following": False}
    listed = (await client.get(f"/api/articles/{slug}/comments")).json()["comments"]
    assert [comment["body"] for comment in listed] == ["First!", "Thanks"]  # oldest first
    as_jake = (await client.get(f"/api/articles/{slug}/comments", headers=jake.headers)).json()["comments"]
    assert [comment["author"]["following"] for comment in as_jake] == [True, False]
    deleted = await client.delete(f"/api/articles/{slug}/comments/{made[0]['id']}", headers=finn.headers)
    assert deleted.status_code == 204, deleted.text
    assert [c["body"] for c in (await client.get(f"/api/articles/{slug}/comments")).json()["comments"]] == ["Thanks"]


async def test_comment_errors(client: Client, engine: AsyncEngine) -> None:
    jake, finn = await register(client), await register(client, "finn")
    slug = (await jake.write())["slug"]
    other = (await jake.write("Another"))["slug"]
    path = f"/api/articles/{slug}/comments"
    comment = (await client.post(path, json={"comment": {"body": "Mine"}}, headers=jake.headers)).json()["comment"]
    assert_errors(
        await client.post(path, json={"comment": {"body": " "}}, headers=jake.headers),
        422,
        {"body": ["can't be blank"]},
    )
    assert_errors(
        await client.post(path, json={"comment": {}}, headers=jake.headers), 422, {"body": ["can't be blank"]}
    )
    assert_errors(await client.post(path, json={"comment": {"body": "x"}}), 401, MISSING)
    nowhere = {"comment": {"body": "Orphan"}}
    assert_errors(
        await client.post("/api/articles/nope/comments", json=nowhere, headers=jake.headers),
        404,
        {"article": ["not found"]},
    )
    assert_errors(await client.get("/api/articles/nope/comments"), 404, {"article": ["not found"]})
    mine = f"{path}/{comment['id']}"
    assert_errors(await client.delete(mine), 401, MISSING)
    assert_errors(await client.delete(mine, headers=finn.headers), 403, {"comment": ["forbidden"]})
    assert_errors(await client.delete(f"{path}/999999", headers=jake.headers), 404, {"comment": ["not found"]})
    elsewhere = f"/api/articles/{other}/comments/{comment['id']}"  # a comment, but not on this article
    assert_errors(await client.delete(elsewhere, headers=jake.headers), 404, {"comment": ["not found"]})
    assert_errors(
        await client.delete(f"/api/articles/nope/comments/{comment['id']}", headers=jake.headers),
        404,
        {"article": ["not found"]},
    )
    assert await count_rows(engine, "comment") == 1


# Tags


async def test_tags_most_used_first(client: Client) -> None:
    jake = await register(client)
    assert (await client.get("/api/tags")).json() == {"tags": []}
    await jake.write("One", tagList=["rare", "common"])
    await jake.write("Two", tagList=["common", "also"])
    gone = await jake.write("Three", tagList=["forgotten"])
    await client.delete(f"/api/articles/{gone['slug']}", headers=jake.headers)
    assert (await client.get("/api/tags")).json() == {"tags": ["common", "also", "rare"]}  # ties by name; unused: none


# Cross-cutting


@ONE_BACKEND
async def test_errors_elsewhere_stay_problem_details(client: Client) -> None:
    """`{"errors": ...}` is the RealWorld API's shape only."""
    response = await client.get("/articles/999")
    assert response.headers["content-type"].startswith("application/problem+json")
    unknown = await client.get("/api/nothing-here")
    assert unknown.status_code == 404


@pytest.mark.parametrize("page_size", [20])
async def test_a_page_for_a_reader_costs_a_fixed_number_of_statements(
    client: Client, statements: list[str], page_size: int
) -> None:
    """Tags, author, `favorited` and `following` for a page: the same statements for 1 article or 20."""
    reader = await register(client, "reader")
    authors = [await register(client, f"author{number}") for number in range(4)]
    for number in range(page_size):
        author = authors[number % len(authors)]
        slug = (await author.write(f"Article {number}", tagList=[f"tag{number % 3}", "all"]))["slug"]
        if number % 2:
            await client.post(f"/api/articles/{slug}/favorite", headers=reader.headers)
    await client.post("/api/profiles/author1/follow", headers=reader.headers)
    counts = {}
    for limit in (1, page_size):
        for headers in ({}, reader.headers):
            statements.clear()
            response = await client.get("/api/articles", params={"limit": limit}, headers=headers)
            assert len(response.json()["articles"]) == limit
            counts[limit, bool(headers)] = len(statements)
    assert counts[1, True] == counts[page_size, True], statements
    assert counts[1, False] == counts[page_size, False], statements
    # The reader (from the token), the page with its authors and tags, its total, the reader's
    # favourites among it, the reader's follows among its authors.
    assert counts[page_size, True] == 5, statements
    assert counts[page_size, False] == 2, statements


async def test_every_write_takes_no_token_as_401_and_another_s_as_403(client: Client) -> None:
    """The writes with an owner: refused to no token, to someone else's, done for the owner's."""
    jake, finn = await register(client), await register(client, "finn")
    slug = (await jake.write())["slug"]
    comment = await client.post(f"/api/articles/{slug}/comments", json={"comment": {"body": "c"}}, headers=jake.headers)
    comment_path = f"/api/articles/{slug}/comments/{comment.json()['comment']['id']}"
    owned = [
        ("PUT", f"/api/articles/{slug}", {"article": {"body": "changed"}}, "article", 200),
        ("DELETE", comment_path, None, "comment", 204),
        ("DELETE", f"/api/articles/{slug}", None, "article", 204),
    ]
    for method, path, body, resource, status in owned:
        assert_errors(await client.request(method, path, json=body), 401, MISSING)
        assert_errors(
            await client.request(method, path, json=body, headers=finn.headers), 403, {resource: ["forbidden"]}
        )
        done = await client.request(method, path, json=body, headers=jake.headers)
        assert done.status_code == status, (method, path, done.text)


FRONT_END = "http://localhost:4200"


@pytest.fixture
async def cors_client(database_url: str, engine: AsyncEngine) -> AsyncIterator[Client]:
    """An app that lets one front-end's pages call it (``app.cors_origins``)."""
    await empty_tables(engine)
    settings = make_settings(database_url)
    settings = msgspec.structs.replace(settings, app=msgspec.structs.replace(settings.app, cors_origins=[FRONT_END]))
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client
    await empty_tables(engine)


@ONE_BACKEND
async def test_a_front_end_may_call_the_api_from_a_browser(cors_client: Client) -> None:
    client = cors_client
    preflight = {
        "Origin": FRONT_END,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    # No token: a browser sends none with a preflight.
    allowed = await client.options("/api/articles/some-slug", headers=preflight)
    assert allowed.status_code in {200, 204}, allowed.text
    assert allowed.headers["access-control-allow-origin"] == FRONT_END
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= set(allowed.headers["access-control-allow-methods"].split(", "))
    assert {"authorization", "content-type"} <= set(allowed.headers["access-control-allow-headers"].lower().split(", "))
    stranger = await client.options("/api/articles/some-slug", headers={**preflight, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers
    jake = await register(client)
    answered = await client.get("/api/user", headers={**jake.headers, "Origin": FRONT_END})
    assert answered.headers["access-control-allow-origin"] == FRONT_END
    refused = await client.get("/api/user", headers={"Origin": FRONT_END})  # errors carry it too
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == FRONT_END


@ONE_BACKEND
async def test_no_origin_is_allowed_by_default(client: Client) -> None:
    response = await client.get("/api/tags", headers={"Origin": FRONT_END})
    assert "access-control-allow-origin" not in response.headers
    preflight = {"Origin": FRONT_END, "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in (await client.options("/api/articles", headers=preflight)).headers
