"""Overload is answered, not queued: a worker serves as many requests at once as it has database
connections; one that cannot start within ``app.queue_timeout`` is a 503 that cost nothing.

The refusal is shown on the production command, in a real process: one connection, a request
holding the only turn (its body not yet sent in full), and another that waits for it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from blog.overload import Turns
from tests.conftest import migrate
from tests.helpers import PASSWORD, TEST_SECRET, served


async def test_turns_go_in_arrival_order_and_a_late_one_is_refused() -> None:
    turns = Turns(limit=1, timeout=5)
    assert await turns.take()
    order: list[int] = []

    async def wait(number: int) -> None:
        assert await turns.take()
        order.append(number)
        turns.give_back()

    waiters = []
    for number in range(5):
        waiters.append(asyncio.create_task(wait(number)))
        await asyncio.sleep(0)  # each is waiting before the next comes
    turns.give_back()
    await asyncio.gather(*waiters)
    assert order == [0, 1, 2, 3, 4]
    assert turns.free == 1

    impatient = Turns(limit=1, timeout=0.01)
    assert await impatient.take()
    assert not await impatient.take()  # its time passed with the only turn taken
    assert not impatient.waiting  # and it left the line
    impatient.give_back()
    assert await impatient.take()


async def test_a_cancelled_waiter_leaves_the_line_and_loses_no_turn() -> None:
    turns = Turns(limit=1, timeout=5)
    assert await turns.take()
    waiter = asyncio.create_task(turns.take())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    turns.give_back()
    assert turns.free == 1
    assert not turns.waiting


def _metric(base_url: str, name: str, labels: str) -> float:
    for line in httpx.get(f"{base_url}/metrics").text.splitlines():
        if line.startswith(f"{name}{{") and all(label in line for label in labels.split(",")):
            return float(line.rpartition(" ")[2])
    return 0.0


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


async def test_a_request_that_cannot_start_in_time_is_a_503_that_costs_no_database_work(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'busy.sqlite3'}"
    await asyncio.to_thread(migrate, url)
    log = tmp_path / "server.log"
    env = {
        "DATABASE_URL": url,
        "AUTH_SECRET": TEST_SECRET,
        "DATABASE_POOL_SIZE": "1",  # one request at a time
        "APP_QUEUE_TIMEOUT": "0.2",
        "DATABASE_ECHO": "true",  # every statement logged, with the id of its request
    }
    body = json.dumps({"username": "ada", "email": "ada@example.com", "password": PASSWORD}).encode()
    with served(env, log=log) as base_url:
        port = int(base_url.rpartition(":")[2])
        with socket.create_connection(("127.0.0.1", port)) as holder:
            # A sign-up whose body is still coming: it holds the only turn meanwhile.
            head = (
                f"POST /authors HTTP/1.1\r\nHost: blog\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Request-ID: holder\r\n\r\n"
            )
            holder.sendall(head.encode() + body[:5])
            in_progress = 'method="POST",path="/authors"'
            _wait_for(lambda: _metric(base_url, "blog_requests_in_progress", in_progress) == 1, "the sign-up to start")

            async with httpx.AsyncClient(base_url=base_url) as client:
                refused = await client.get("/articles", headers={"X-Request-ID": "refused"})
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "1"
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["request_id"] == "refused"
            assert _metric(base_url, "blog_db_pool_connections_in_use", "") == 0

            holder.sendall(body[5:])  # the sign-up goes on, and gives its turn back
            answer = holder.recv(65536).decode()
            assert answer.startswith("HTTP/1.1 201"), answer
        async with httpx.AsyncClient(base_url=base_url) as client:
            assert (await client.get("/articles")).status_code == 200

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    statements = [line for line in lines if line["logger"].startswith("sqlalchemy.engine")]
    assert any(line.get("request_id") == "holder" for line in statements), "the sign-up's SQL was not logged"
    assert not [line for line in statements if line.get("request_id") == "refused"], "the refused request used SQL"
    [refusal] = [line for line in lines if line["event"] == "request" and line["request_id"] == "refused"]
    assert refusal["status"] == 503
