"""Version 3 on the native API: slugs, descriptions, tags (and `?tag=`), favourite counts."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import ONE_BACKEND, assert_problem, count_rows, sign_up

Client = AsyncTestClient[Any]


async def test_slugs_come_from_titles_and_follow_them(client: Client) -> None:
    ada = await sign_up(client)

    async def write(title: str) -> dict[str, Any]:
        response = await client.post("/articles", json={"title": title, "content": "C"}, headers=ada.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    first, second = await write("Notes on the Engine"), await write("Notes on the Engine")
    assert first["slug"] == "notes-on-the-engine"
    assert second["slug"].startswith("notes-on-the-engine-")
    assert (await write("🚂🚂"))["slug"] == "article"  # no letters: still a slug
    assert len((await write("x" * 200))["slug"]) <= 100
    renamed = await client.patch(
        f"/articles/{first['id']}", json={"title": "Sketch of the Engine"}, headers=ada.headers
    )
    assert renamed.json()["slug"] == "sketch-of-the-engine"
    same = await client.patch(f"/articles/{first['id']}", json={"content": "New"}, headers=ada.headers)
    assert same.json()["slug"] == "sketch-of-the-engine"
    # The old slug is free again.
    assert (await write("Notes on the Engine"))["slug"] == "notes-on-the-engine"


async def test_description_defaults_to_empty_and_is_bounded(client: Client) -> None:
    ada = await sign_up(client)
    article = await client.post("/articles", json={"title": "T", "content": "C"}, headers=ada.headers)
    assert article.json()["description"] == ""
    described = await client.post(
        "/articles", json={"title": "T", "content": "C", "description": "A summary"}, headers=ada.headers
    )
    assert described.json()["description"] == "A summary"
    too_long = await client.post(
        "/articles", json={"title": "T", "content": "C", "description": "d" * 1001}, headers=ada.headers
    )
    assert_problem(too_long, 400, field="description")


async def test_tags_keep_their_order_and_updates_replace_them(client: Client, engine: AsyncEngine) -> None:
    ada = await sign_up(client)
    created = await client.post(
        "/articles", json={"title": "T", "content": "C", "tags": ["zeta", "alpha", "mid"]}, headers=ada.headers
    )
    article = created.json()
    assert article["tags"] == ["zeta", "alpha", "mid"]
    path = f"/articles/{article['id']}"
    kept = await client.patch(path, json={"title": "Other"}, headers=ada.headers)
    assert kept.json()["tags"] == ["zeta", "alpha", "mid"]  # omitted: kept
    reordered = await client.patch(path, json={"tags": ["mid", "zeta", "new"]}, headers=ada.headers)
    assert reordered.json()["tags"] == ["mid", "zeta", "new"]
    assert reordered.json()["updated_at"] > kept.json()["updated_at"]
    assert (await client.get(path)).json()["tags"] == ["mid", "zeta", "new"]
    cleared = await client.patch(path, json={"tags": []}, headers=ada.headers)
    assert cleared.json()["tags"] == []
    assert await count_rows(engine, "article_tag") == 0
    assert await count_rows(engine, "tag") == 4  # each name stored once, kept for reuse


@ONE_BACKEND
async def test_bad_tags_are_400_and_write_nothing(client: Client, engine: AsyncEngine) -> None:
    ada = await sign_up(client)
    for tags in (["a", "a"], [str(n) for n in range(21)], [""], [" "], ["x" * 41], "a", [1], None):
        response = await client.post(
            "/articles", json={"title": "T", "content": "C", "tags": tags}, headers=ada.headers
        )
        assert_problem(response, 400, field="tags")
    assert await count_rows(engine, "article") == 0
    assert await count_rows(engine, "tag") == 0


@ONE_BACKEND
async def test_server_set_fields_are_not_writable(client: Client) -> None:
    ada = await sign_up(client)
    for field, value in (("slug", "mine"), ("favorites_count", 99)):
        response = await client.post(
            "/articles", json={"title": "T", "content": "C", field: value}, headers=ada.headers
        )
        assert_problem(response, 400, field=field)


async def test_tag_filter_keeps_the_listing_rules(client: Client) -> None:
    ada, bob = await sign_up(client), await sign_up(client, "bob")
    for number in range(5):
        tags = ["engine"] if number % 2 == 0 else ["loom"]
        author = ada if number < 4 else bob
        await client.post(
            "/articles", json={"title": f"A{number}", "content": "C", "tags": tags}, headers=author.headers
        )
    page = await client.get("/articles", params={"tag": "engine", "pageSize": 2})
    assert [article["title"] for article in page.json()] == ["A4", "A2"]
    assert page.headers["x-total-count"] == "3"
    assert 'rel="next"' in page.headers["link"]
    assert "tag=engine" in page.headers["link"]
    second = await client.get("/articles", params={"tag": "engine", "pageSize": 2, "currentPage": 2})
    assert [article["title"] for article in second.json()] == ["A0"]
    by_ada = await client.get(f"/authors/{ada.id}/articles", params={"tag": "engine"})
    assert [article["title"] for article in by_ada.json()] == ["A2", "A0"]
    assert by_ada.headers["x-total-count"] == "2"
    assert (await client.get("/articles", params={"tag": "none"})).json() == []
    assert_problem(await client.get("/articles", params={"tag": ""}), 400, field="tag")
    assert_problem(await client.get("/articles", params={"tag": "x" * 41}), 400, field="tag")


async def test_favorites_count_follows_favourites_and_their_cascades(client: Client) -> None:
    ada = await sign_up(client)
    article = (await client.post("/articles", json={"title": "T", "content": "C"}, headers=ada.headers)).json()
    assert article["favorites_count"] == 0
    fans = []
    for name in ("bob", "cy"):
        fan = await sign_up(client, name)
        fans.append(fan)
        headers = {"Authorization": f"Token {fan.token}"}
        assert (await client.post(f"/api/articles/{article['slug']}/favorite", headers=headers)).status_code == 200
    assert (await client.get(f"/articles/{article['id']}")).json()["favorites_count"] == 2
    # A favourite deleted with its author is uncounted too (the database's triggers).
    assert (await client.delete(f"/authors/{fans[0].id}", headers=fans[0].headers)).status_code == 204
    assert (await client.get(f"/articles/{article['id']}")).json()["favorites_count"] == 1


async def test_tags_written_with_sql_show_as_those_written_through_the_api(client: Client, engine: AsyncEngine) -> None:
    """An article's tags are read from `article_tag` with the article: rows an import or a
    migration writes show in every answer, in their positions' order."""
    ada = await sign_up(client)
    written = await client.post("/articles", json={"title": "T", "content": "C", "tags": ["api"]}, headers=ada.headers)
    article_id = written.json()["id"]
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO tag (name) VALUES ('imported'), ('first')"))
        await connection.execute(
            text(
                "INSERT INTO article_tag (article_id, tag_id, position) "
                "SELECT :id, id, CASE name WHEN 'first' THEN -1 ELSE 5 END FROM tag WHERE name IN ('imported', 'first')"
            ),
            {"id": article_id},
        )
    expected = ["first", "api", "imported"]
    assert (await client.get(f"/articles/{article_id}")).json()["tags"] == expected
    assert (await client.get("/articles")).json()[0]["tags"] == expected
    assert (await client.get("/articles", params={"tag": "imported"})).json()[0]["tags"] == expected
    slug = written.json()["slug"]
    assert (await client.get(f"/api/articles/{slug}")).json()["article"]["tagList"] == expected
    untagged = await client.post("/articles", json={"title": "U", "content": "C"}, headers=ada.headers)
    assert (await client.get(f"/articles/{untagged.json()['id']}")).json()["tags"] == []
