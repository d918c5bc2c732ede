"""Full-text search (``GET /articles?q=``): web-search syntax, stemming, ranking, paging, the
visibility rule, tags however written, bounds, and no 500 whatever ``q`` holds.

Every test runs on PostgreSQL (a stored ``tsvector``, GIN-indexed) and SQLite (substring
matches); a few are PostgreSQL's only (stemming beyond a plural ``s``, stop words, the index).
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.app import create_app
from blog.database import check_database
from blog.domain.articles.search import SearchLanguageError, Term, parse
from blog.settings import PROJECT_ROOT, SearchSettings, SettingsError, load_settings
from tests.conftest import make_settings, migrate
from tests.helpers import ONE_BACKEND, Account, assert_problem, sign_up
from tests.test_migrations import downgrade, engine_for, insert_author
from tests.test_migrations import empty_database as empty_database  # the fixture: a database of each backend

Client = AsyncTestClient[Any]
POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def write(client: Client, account: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": fields.pop("title", "Notes"), "content": fields.pop("content", "Some text."), **fields}
    response = await client.post("/articles", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def found(client: Client, q: str, **params: Any) -> list[int]:
    """The ids ``GET /articles?q=`` answers, in order (``headers`` among ``params`` are sent)."""
    headers = params.pop("headers", None)
    response = await client.get("/articles", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    ids = [article["id"] for article in response.json()]
    if response.headers["x-total-count"] != str(len(ids)) and params.get("pageSize") is None:
        pytest.fail(f"X-Total-Count {response.headers['x-total-count']} for {len(ids)} articles")
    return ids


async def test_words_phrases_exclusions_and_alternatives(client: Client) -> None:
    ada = await sign_up(client)
    engine = await write(
        client,
        ada,
        title="Notes on the Analytical Engine",
        content="The engine weaves algebraic patterns, as the loom weaves flowers.",
    )
    loom = await write(client, ada, title="A loom", content="Jacquard's loom reads punched cards.")
    steam = await write(client, ada, title="Steam power", content="A steam engine turns the mill.")
    a, b, c = engine["id"], loom["id"], steam["id"]

    assert set(await found(client, "engine")) == {a, c}
    assert set(await found(client, "ENGINE")) == {a, c}  # whatever the case
    assert set(await found(client, "engines")) == {a, c}  # a plural finds the singular
    assert await found(client, "engine loom") == [a]  # every word
    assert await found(client, '"punched cards"') == [b]  # a phrase
    assert await found(client, '"cards punched"') == []  # its words in its order
    assert await found(client, "engine -steam") == [a]  # without a word
    assert await found(client, 'loom -"punched cards"') == [a]  # without a phrase
    assert set(await found(client, "steam or jacquard")) == {b, c}  # either
    assert set(await found(client, "mill steam or flowers")) == {a, c}  # (mill and steam) or flowers
    assert await found(client, "babbage") == []
    assert set(await found(client, "-steam")) == {a, b}  # only a word to leave out: all others


@POSTGRES_ONLY
async def test_words_are_stemmed_and_stop_words_ignored(client: Client) -> None:
    ada = await sign_up(client)
    article = await write(client, ada, title="Weaving", content="The looms wove patterns of flowers.")
    assert await found(client, "weaves") == [article["id"]]  # weaving, weaves: weav
    assert await found(client, "loom flower") == [article["id"]]
    assert await found(client, "the looms of") == [article["id"]]  # "the", "of": stop words
    # Nothing but stop words or punctuation: no word to look for, nothing found.
    for q in ("the", "of the", '"', "-", "or", "&|!", "--", '""', "- -", "😀"):
        assert await found(client, q) == [], q


async def test_the_title_ranks_above_the_tags_the_description_and_the_content(client: Client) -> None:
    ada = await sign_up(client)
    # Written from the best match to the worst: the default order (newest first) would reverse them.
    title = await write(client, ada, title="Babbage", content="Of him.")
    tags = await write(client, ada, title="Tagged", content="Of him.", tags=["babbage"])
    description = await write(client, ada, title="Described", content="Of him.", description="On Babbage.")
    content = await write(client, ada, title="Mentioned", content="Babbage, once.")
    best_first = [title["id"], tags["id"], description["id"], content["id"]]

    assert await found(client, "babbage") == best_first
    # orderBy gives the order instead (relevance no longer matters).
    assert await found(client, "babbage", orderBy="published_at") == best_first[::-1]
    assert await found(client, "babbage", orderBy="id", sortOrder="asc") == best_first
    by_title = [title["id"], description["id"], content["id"], tags["id"]]  # Babbage, Described, Mentioned, Tagged
    assert await found(client, "babbage", orderBy="title", sortOrder="asc") == by_title
    # Equal ranks follow the listing's order: newest published first, then by id.
    twins = [(await write(client, ada, title="Twin", content="Same."))["id"] for _ in range(3)]
    assert await found(client, "twin") == twins[::-1]


async def test_tags_are_searched_however_they_were_written(client: Client, engine: AsyncEngine) -> None:
    ada = await sign_up(client)
    through_api = await write(client, ada, title="One", content="Plain.", tags=["difference-engine"])
    untagged = await write(client, ada, title="Two", content="Plain.")
    assert await found(client, "difference-engine") == [through_api["id"]]

    # Tags written straight into the tables, as an import would.
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO tag (name) VALUES ('mathematics')"))
        await connection.execute(
            text(
                "INSERT INTO article_tag (article_id, tag_id, position)"
                " SELECT :article, id, 0 FROM tag WHERE name = 'mathematics'"
            ),
            {"article": untagged["id"]},
        )
    assert await found(client, "mathematics") == [untagged["id"]]
    # Renamed, then removed, by hand.
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE tag SET name = 'algebra' WHERE name = 'mathematics'"))
    assert await found(client, "mathematics") == []
    assert await found(client, "algebra") == [untagged["id"]]
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM article_tag WHERE article_id = :article"), {"article": untagged["id"]}
        )
    assert await found(client, "algebra") == []

    # Tags changed through the API: the old ones are no longer found, the new ones are.
    response = await client.patch(
        f"/articles/{through_api['id']}", json={"tags": ["looms", "jacquard"]}, headers=ada.headers
    )
    assert response.status_code == 200, response.text
    assert await found(client, "difference") == []
    assert await found(client, "jacquard") == [through_api["id"]]
    # And a new title, description or content is searched at once.
    await client.patch(f"/articles/{through_api['id']}", json={"content": "Hollerith."}, headers=ada.headers)
    assert await found(client, "hollerith jacquard") == [through_api["id"]]
    assert await found(client, "plain") == [untagged["id"]]


async def test_drafts_and_scheduled_articles_are_found_by_their_author_only(client: Client) -> None:
    ada, bob = await sign_up(client, "ada"), await sign_up(client, "bob")
    public = await write(client, ada, title="Secret engine, published", content="Public.")
    draft = await write(client, ada, title="Secret engine, drafted", content="Hidden.", status="draft")
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    scheduled = await write(client, ada, title="Secret engine, to come", content="Soon.", published_at=later)

    for headers in (None, bob.headers, ada.headers):  # a listing of public articles, whoever asks
        assert await found(client, "secret", headers=headers) == [public["id"]]
    assert await found(client, "secret", status="draft", headers=ada.headers) == [draft["id"]]
    assert await found(client, "secret", status="scheduled", headers=ada.headers) == [scheduled["id"]]
    assert await found(client, "secret", status="draft", headers=bob.headers) == []
    assert await found(client, "hidden or soon") == []
    author_listing = await client.get(f"/authors/{ada.id}/articles", params={"q": "secret"})
    assert [article["id"] for article in author_listing.json()] == [public["id"]]
    assert author_listing.headers["x-total-count"] == "1"


async def test_pages_of_a_search_hold_every_match_once_with_an_exact_total(client: Client) -> None:
    ada = await sign_up(client)
    matching = set()
    for number in range(23):
        # Three ranks: the word in the title, twice in the content, once in the content.
        title, content = ("Loom", "Cloth.") if number % 3 == 0 else ("Cloth", "A loom, a loom." * (number % 3))
        matching.add((await write(client, ada, title=f"{title} {number}", content=content))["id"])
        await write(client, ada, title=f"Other {number}", content="Nothing to see.")

    seen: list[int] = []
    for page in (1, 2, 3):
        response = await client.get("/articles", params={"q": "loom", "pageSize": 10, "currentPage": page})
        assert response.headers["x-total-count"] == "23"
        assert 'rel="last"' in response.headers["link"]
        assert "q=loom" in response.headers["link"]
        seen += [article["id"] for article in response.json()]
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == matching
    beyond = await client.get("/articles", params={"q": "loom", "pageSize": 10, "currentPage": 4})
    assert (beyond.json(), beyond.headers["x-total-count"]) == ([], "23")


async def test_a_search_combines_with_the_other_filters(client: Client) -> None:
    ada, bob = await sign_up(client, "ada"), await sign_up(client, "bob")
    ada_tagged = await write(client, ada, title="Engine", content="Cogs.", tags=["history"])
    ada_plain = await write(client, ada, title="Engine", content="Cogs.")
    bob_tagged = await write(client, bob, title="Engine", content="Cogs.", tags=["history"])
    await write(client, bob, title="Loom", content="Threads.", tags=["history"])

    assert set(await found(client, "engine", tag="history")) == {ada_tagged["id"], bob_tagged["id"]}
    assert set(await found(client, "engine", author_id=ada.id)) == {ada_tagged["id"], ada_plain["id"]}
    assert await found(client, "engine", author_id=ada.id, tag="history") == [ada_tagged["id"]]
    assert await found(client, "engine", ids=[ada_plain["id"], bob_tagged["id"]], orderBy="id") == [
        bob_tagged["id"],
        ada_plain["id"],
    ]
    assert await found(client, "engine", searchString="Loom") == []
    assert await found(client, "engine", createdAfter="2999-01-01T00:00:00Z") == []


@ONE_BACKEND
@pytest.mark.parametrize("q", ["", "x" * 201, "a\x00b", "tab\there", "line\nbreak"])
async def test_a_query_out_of_bounds_is_a_400_naming_q(client: Client, q: str) -> None:
    assert_problem(await client.get("/articles", params={"q": q}), 400, field="q")
    author = (await sign_up(client)).author
    assert_problem(await client.get(f"/authors/{author['id']}/articles", params={"q": q}), 400, field="q")


@ONE_BACKEND
async def test_a_query_of_200_characters_is_taken(client: Client) -> None:
    ada = await sign_up(client)
    article = await write(client, ada, title="Long", content="An engine of cogs.")
    longest = "engine " * 28 + "cogs"
    assert len(longest) == 200
    assert await found(client, longest) == [article["id"]]
    assert await found(client, "é" * 200) == []


NASTY = [
    '"',
    '""',
    '"""',
    "'",
    "''",
    "\\",
    "\\\\",
    "\\'",
    '\\"',
    "-",
    "--",
    "- -",
    '-"',
    "or",
    "OR",
    "or or",
    "-or",
    "a or",
    "or b",
    "&",
    "|",
    "!",
    "!!",
    "(",
    ")",
    "()",
    ":*",
    "a:*",
    "a:A",
    "<->",
    "a <-> b",
    "a <2> b",
    "a & b | !c",
    "!(a | b)",
    "'a' & 'b'",
    "%",
    "_",
    "%_%",
    "a%b_c",
    "*",
    "?",
    "[",
    "]",
    "{}",
    ";",
    "';--",
    "'; DROP TABLE article; --",
    "1=1",
    "NULL",
    "\u00a0",  # a no-break space
    "\u200b",  # a zero-width space
    "\u202e",  # right-to-left override
    "\ufeff",
    "😀",
    "👩‍👩‍👧",  # a ZWJ sequence
    "🏳️‍🌈",
    "عربى",
    "עִבְרִית",
    "مرحبا بالعالم -عربى",
    "e\u0301\u0301\u0301",  # combining marks
    "\u0301",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
    "日本語の検索",
    "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48",  # fullwidth
    "İstanbul",
    "ß",
    "\U0010ffff",
    "\ud7ff",
    "\U0001d518\U0001d52b\U0001d526",  # mathematical fraktur
    " ",
    "   ",
    '"unterminated',
    'a"b"c',
    '-"a b" or -"c d"',
    "x" * 200,
    "-" * 200,
    '"' * 200,
    "or " * 66,
    "a " * 100,
]
NASTY_ALPHABET = [*"\"'\\-&|!():*<>%_ ", "or", "a", "é", "😀", "\u0301", "ע", "\u00a0", "\u202e", "engine"]


def nasty_queries(count: int, seed: int) -> list[str]:
    """``count`` random queries of up to 200 characters made of ``NASTY_ALPHABET`` (the same for a seed)."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < count:
        q = "".join(rng.choices(NASTY_ALPHABET, k=rng.randint(1, 60)))[:200]
        queries.append(q)
    return queries


async def test_no_query_is_an_error(client: Client) -> None:
    ada = await sign_up(client)
    await write(client, ada, title="Engine or loom", content='A "quoted" word, a back\\slash, 50% _ and 😀.')
    for q in [*NASTY, *nasty_queries(150, seed=21)]:
        for path in ("/articles", f"/authors/{ada.id}/articles"):
            response = await client.get(path, params={"q": q})
            assert response.status_code == 200, (q, response.text)
            assert response.headers["x-total-count"] == str(len(response.json()))
    # And percent-encoded bytes that are no UTF-8 at all.
    for raw in ("%FF", "%C3%28", "%ED%A0%80", "%F4%90%80%80", "%00", "%E2%80"):
        response = await client.get(f"/articles?q={raw}")
        assert response.status_code in {200, 400}, (raw, response.text)


@given(st.text(max_size=200))
def test_the_parser_takes_any_text(q: str) -> None:
    query = parse(q)
    for group in query.groups:
        assert group
        for term in group:
            assert '"' not in term.text
            assert term.text == " ".join(term.text.split())
            assert term.matched(plural_s=True)
    assert parse(query.websearch()) == query  # what PostgreSQL is given reads the same


def test_the_parser_reads_web_search_syntax() -> None:
    query = parse('Engines "Analytical  engine" -babbage or LOOM')
    assert query.groups == (
        (Term("Engines"), Term("Analytical engine"), Term("babbage", negated=True)),
        (Term("LOOM"),),
    )
    assert query.websearch() == '"Engines" "Analytical engine" -"babbage" or "LOOM"'
    assert [term.matched(plural_s=True) for term in query.groups[0]] == ["engine", "analytical engine", "babbage"]
    assert parse("or a or or b or").groups == ((Term("a"),), (Term("b"),))
    assert parse('x -"y z" - w').groups == ((Term("x"), Term("y z", negated=True), Term("w")),)
    assert parse('!!! & <-> "" - --').groups == ()
    assert parse("-" * 40 + "a").websearch() == '-"' + "-" * 39 + 'a"'
    assert [term.matched(plural_s=True) for term in parse("(foo!) classes glass ÄRGER").groups[0]] == [
        "foo",
        "classe",
        "glass",
        "Ärger",  # SQLite's lower() is ASCII's
    ]
    assert parse("engines").groups[0][0].matched(plural_s=False) == "engines"


@POSTGRES_ONLY
async def test_postgres_reads_every_query_as_it_is_given(engine: AsyncEngine) -> None:
    """``websearch_to_tsquery`` fails on some input (32 negations in a row); never on what it is given."""
    queries = [*NASTY, *nasty_queries(2000, seed=5), "-" * 200, "x " + "- " * 99, "-(" * 100, "-!" * 100]
    async with engine.connect() as connection:
        for q in queries:
            await connection.execute(text("SELECT websearch_to_tsquery('english', :q)"), {"q": parse(q).websearch()})


async def test_a_plain_listing_does_not_pay_for_search(client: Client, statements: list[str]) -> None:
    ada = await sign_up(client)
    await write(client, ada, title="Engine", content="Cogs.", tags=["history"])
    statements.clear()
    response = await client.get("/articles")
    assert "search_vector" not in response.json()[0]
    assert statements
    assert not [s for s in statements if "search_vector" in s or "ts_rank" in s or "instr" in s], statements
    listing = len(statements)

    statements.clear()
    await client.get("/articles", params={"q": "engine"})
    assert len(statements) == listing  # a search: as many statements (the page, and no count on one page)
    assert not [s for s in statements if "search_vector" in s and "SELECT article.search_vector" in s]


async def test_the_api_reference_documents_q(client: Client) -> None:
    document = (await client.get("/docs/openapi.json")).json()
    for path in ("/articles", "/authors/{author_id}/articles"):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        q = parameters["q"]
        assert q["in"] == "query"
        assert not q.get("required", False)
        assert (q["schema"]["minLength"], q["schema"]["maxLength"]) == (1, 200)
        assert "web-search syntax" in q["description"]
    assert "search_vector" not in str(document)


# --- The migration ---------------------------------------------------------------------------------

BEFORE_SEARCH = "e42bb89bb4a4"


async def test_existing_articles_are_searchable_after_the_upgrade(empty_database: str) -> None:
    await asyncio.to_thread(migrate, empty_database, BEFORE_SEARCH)
    engine = engine_for(empty_database)
    try:
        async with engine.begin() as connection:
            author = await insert_author(connection, username="ada", email="ada@example.com")
            for number, (title, content) in enumerate(
                [("Analytical engines", "Cards."), ("Looms", "Punched cards."), ("Drafted engine", "Hidden.")]
            ):
                status = "'draft', NULL" if number == 2 else "'published', CURRENT_TIMESTAMP"
                await connection.execute(
                    text(
                        "INSERT INTO article (title, slug, content, author_id, created_at, updated_at, status,"
                        f" published_at) VALUES (:title, :slug, :content, :author, CURRENT_TIMESTAMP,"
                        f" CURRENT_TIMESTAMP, {status})"
                    ),
                    {"title": title, "slug": f"a{number}", "content": content, "author": author},
                )
            await connection.execute(text("INSERT INTO tag (name) VALUES ('jacquard')"))
            await connection.execute(text("INSERT INTO article_tag SELECT 2, id, 0 FROM tag"))

        await asyncio.to_thread(migrate, empty_database)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                indexed = await connection.scalar(text("SELECT count(*) FROM article WHERE search_vector IS NOT NULL"))
                assert indexed == 3
        app = create_app(make_settings(empty_database))
        async with AsyncTestClient(app=app) as client:
            assert await found(client, "engine") == [1]
            assert await found(client, "jacquard cards") == [2]
            assert await found(client, "hidden") == []

        await asyncio.to_thread(downgrade, empty_database, BEFORE_SEARCH)
        async with engine.connect() as connection:
            columns = await connection.run_sync(lambda sync: {c["name"] for c in inspect(sync).get_columns("article")})
            assert "search_vector" not in columns
            assert await connection.scalar(text("SELECT count(*) FROM article")) == 3
        await asyncio.to_thread(migrate, empty_database)
        async with AsyncTestClient(app=create_app(make_settings(empty_database))) as client:
            assert await found(client, "jacquard cards") == [2]
    finally:
        await engine.dispose()


# --- The language ------------------------------------------------------------------------------


@POSTGRES_ONLY
async def test_the_app_refuses_a_language_the_index_is_not_in(database_url: str) -> None:
    settings = make_settings(database_url).database
    await asyncio.to_thread(check_database, settings, search_language="english")
    await asyncio.to_thread(check_database, settings, search_language="pg_catalog.english")
    with pytest.raises(SearchLanguageError, match="indexed in 'english'") as other:
        await asyncio.to_thread(check_database, settings, search_language="german")
    assert "article_search_reindex('german')" in other.value.fix
    with pytest.raises(SearchLanguageError, match="does not know") as unknown:
        await asyncio.to_thread(check_database, settings, search_language="klingon")
    assert "SEARCH_LANGUAGE=english" in unknown.value.fix


@pytest.mark.parametrize("empty_database", ["postgresql"], indirect=True)
async def test_the_migration_indexes_in_the_configured_language_and_reindexing_changes_it(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCH_LANGUAGE", "klingon")
    with pytest.raises(ValueError, match="klingon"):
        await asyncio.to_thread(migrate, empty_database)

    monkeypatch.setenv("SEARCH_LANGUAGE", "simple")  # no stemming, no stop words
    await asyncio.to_thread(migrate, empty_database)
    simple = make_settings(empty_database)
    simple = msgspec.structs.replace(simple, search=SearchSettings(language="simple"))
    async with AsyncTestClient(app=create_app(simple)) as client:
        ada = await sign_up(client)
        article = await write(client, ada, title="The engine", content="Cogs.")
        assert await found(client, "engines") == []
        assert await found(client, "the engine") == [article["id"]]

    engine = engine_for(empty_database)
    try:
        async with engine.begin() as connection:
            assert await connection.scalar(text("SELECT article_search_reindex('english')")) == 1
    finally:
        await engine.dispose()
    with pytest.raises(SearchLanguageError):
        await asyncio.to_thread(check_database, simple.database, search_language="simple")
    await asyncio.to_thread(check_database, simple.database, search_language="english")
    async with AsyncTestClient(app=create_app(make_settings(empty_database))) as client:
        assert await found(client, "engines") == [article["id"]]
        # Written after the change: indexed in the new language (the triggers' sessions included).
        second = await write(client, ada, title="Engines", content="More cogs.")
        assert set(await found(client, "engine")) == {article["id"], second["id"]}


def test_the_language_is_a_setting_checked_for_its_shape(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.toml", environ={}).search.language == "english"
    assert load_settings(PROJECT_ROOT / "litestar.toml", environ={}).search.language == "english"
    path = tmp_path / "litestar.toml"
    path.write_text('[search]\nlanguage = "german"\n')
    assert load_settings(path, environ={}).search.language == "german"
    assert load_settings(path, environ={"SEARCH_LANGUAGE": "pg_catalog.simple"}).search.language == "pg_catalog.simple"
    path.write_text('[search]\nlanguage = "english\'; DROP TABLE article; --"\n')
    with pytest.raises(SettingsError, match=r"\$\.search\.language"):
        load_settings(path, environ={})
    with pytest.raises(SettingsError, match="SEARCH_LANGUAGE"):
        load_settings(tmp_path / "absent.toml", environ={"SEARCH_LANGUAGE": "English"})
