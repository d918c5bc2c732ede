"""A 2xx means committed, and errors look the same with and without ``--debug``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import PASSWORD, assert_problem, count_rows, sign_up

# Fires at COMMIT (deferred), after the INSERT itself succeeded: the only way to see whether
# the app answers before or after its commit. SQLSTATE 23505 is a unique violation.
REJECT_AT_COMMIT = """
CREATE FUNCTION reject_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.first_name = 'reject-at-commit' THEN
    RAISE EXCEPTION 'rejected at commit' USING ERRCODE = 'unique_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE CONSTRAINT TRIGGER reject_at_commit AFTER INSERT ON author
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reject_at_commit();
"""


@pytest.fixture
async def commit_trap(engine: AsyncEngine) -> AsyncIterator[None]:
    if engine.dialect.name != "postgresql":
        pytest.skip("deferred constraint triggers are PostgreSQL's")
    async with engine.begin() as connection:
        for statement in REJECT_AT_COMMIT.split(";\nCREATE CONSTRAINT"):
            if not statement.lstrip().startswith("CREATE FUNCTION"):
                statement = "CREATE CONSTRAINT" + statement
            await connection.execute(text(statement))
    yield
    async with engine.begin() as connection:
        await connection.execute(text("DROP TRIGGER reject_at_commit ON author"))
        await connection.execute(text("DROP FUNCTION reject_at_commit()"))


@pytest.mark.parametrize("debug", [False, True])
async def test_a_failed_commit_is_not_a_2xx(client: AsyncTestClient, engine: AsyncEngine, commit_trap: None) -> None:
    body = {"username": "doomed", "email": "doomed@example.com", "password": PASSWORD, "first_name": "reject-at-commit"}
    response = await client.post("/authors", json=body)
    body = assert_problem(response, 409)
    assert "rejected at commit" not in response.text, "the driver's message stays in the log"
    assert "Traceback" not in body["detail"]
    assert await count_rows(engine, "author") == 0
    # The app is fine afterwards.
    await sign_up(client)


@pytest.mark.parametrize("debug", [True])
async def test_debug_mode_keeps_4xx_answers(client: AsyncTestClient) -> None:
    assert_problem(await client.get("/authors/4242"), 404, detail="Author does not exist")
    ada = await sign_up(client)
    assert_problem(await client.post("/authors", json={"first_name": "", "last_name": "L"}), 400, field="first_name")
    assert_problem(
        await client.post("/articles", json={"title": "T", "content": "C", "author_id": 4242}, headers=ada.headers),
        404,
        detail="Author does not exist",
    )
    assert_problem(await client.post("/articles", json={"title": "T", "content": "C"}), 401)
    response = await client.get("/nowhere")
    assert_problem(response, 404)
    assert "Traceback" not in response.text


async def test_reads_run_outside_transactions_and_writes_inside(client: AsyncTestClient) -> None:
    """A GET's statements autocommit (no BEGIN/ROLLBACK round trips); a write keeps its transaction."""
    seen: list[tuple[str, bool]] = []

    def record(conn: Connection, cursor: object, statement: str, *_: object) -> None:
        # What the driver's connection is set to: asyncpg's adapter says it, SQLite's has no
        # isolation level in autocommit mode.
        driver = conn.connection.dbapi_connection
        autocommit = getattr(driver, "autocommit", None)
        if autocommit is None:
            autocommit = driver.isolation_level is None  # type: ignore[union-attr]
        seen.append((statement.split()[0], autocommit))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        author = await sign_up(client)
        writes, seen[:] = list(seen), []
        assert (await client.get(f"/authors/{author.id}")).status_code == 200
        assert (await client.get("/articles", params={"author_id": author.id})).status_code == 200
        assert (await client.get(f"/authors/{author.id}/articles")).status_code == 200
        assert (await client.get("/auth/me", headers=author.headers)).status_code == 200
        reads = list(seen)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert ("INSERT", False) in writes
    assert all(not autocommit for _, autocommit in writes), writes
    assert len(reads) >= 5  # a read, a page and its count, an existence check and a page, the caller
    assert all(autocommit for _, autocommit in reads), reads
