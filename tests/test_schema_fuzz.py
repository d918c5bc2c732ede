"""The API against its own OpenAPI document, fuzzed by Schemathesis over real HTTP.

The app is served by uvicorn (as the benchmarks serve it) on a throwaway PostgreSQL
database and Schemathesis runs every phase against it: the schema's examples, boundary
values of every field and parameter (``coverage``), random requests (``fuzzing``) and
request sequences that follow each ``Location`` header (``stateful``), with a fresh
account's token so that writes are fuzzed too. ``--checks all`` fails the run on any 5xx, a
response that does not match the documented schema, status or media type, a schema-valid request
that is rejected, or an invalid one that is accepted. ``tests/schemathesis.toml`` holds the
per-operation settings.

The run takes a minute or two, nearly all of it Schemathesis making up requests; so when this
test is selected it starts as soon as the tests are collected (``tests/conftest.py``; under
pytest-xdist, in the controller) and runs beside the others, and the test itself, in
whichever process runs it, waits for its verdict.

The seed is fixed so that CI is repeatable; ``FUZZ_SEED`` and ``FUZZ_MAX_EXAMPLES`` widen
the search (``FUZZ_SEED=random`` draws a new seed, which Schemathesis prints).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import app_server
from tests.conftest import create_postgres_database, drop_postgres_database, migrate
from tests.helpers import PASSWORD, free_port

DEFAULT_SEED = "20261125"
DEFAULT_MAX_EXAMPLES = "30"
CONFIG = Path(__file__).with_name("schemathesis.toml")


FUZZER_ID = 900_000
"""The fuzzer's own author id: far from the small ids and the bounds Schemathesis tries in
paths, so that its ``DELETE /authors/{author_id}`` does not delete the account whose token
the run uses (every later request would be a 401, and the writes would not be fuzzed)."""


async def _next_author_id(database_url: str, author_id: int) -> None:
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            text("SELECT setval(pg_get_serial_sequence('author', 'id'), :id, false)"), {"id": author_id}
        )
    await engine.dispose()


def fresh_token(base_url: str, database_url: str) -> str:
    """A new account's token, so that protected operations are fuzzed too."""
    asyncio.run(_next_author_id(database_url, FUZZER_ID))
    account = {"username": "fuzzer", "email": "fuzzer@example.com", "password": PASSWORD}
    with httpx.Client(base_url=base_url) as client:
        assert client.post("/authors", json=account).status_code == 201
        login = client.post("/auth/token", data={"grant_type": "password", "username": "fuzzer", "password": PASSWORD})
        return str(login.json()["access_token"])


def schemathesis_command(base_url: str, database_url: str) -> list[str]:
    seed = os.environ.get("FUZZ_SEED", DEFAULT_SEED)
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        f"--config-file={CONFIG}",
        "run",
        f"{base_url}/docs/openapi.json",
        f"--header=Authorization: Bearer {fresh_token(base_url, database_url)}",
        "--checks=all",
        f"--max-examples={os.environ.get('FUZZ_MAX_EXAMPLES', DEFAULT_MAX_EXAMPLES)}",
        *([] if seed == "random" else [f"--seed={seed}"]),
        "--workers=1",
        "--request-timeout=15",
        "--output-sanitize=false",
        "--no-color",
    ]


class FuzzRun:
    """One Schemathesis run against a served app on its own database, in the background.

    Its report and, once it is done, its exit status are files in ``directory``: the test that
    waits for them may run in another process (a pytest-xdist worker) than the one that
    started the run.
    """

    def __init__(self, directory: Path) -> None:
        self._stack = contextlib.ExitStack()
        try:
            self.url = asyncio.run(create_postgres_database())  # skips (or fails, under CI) without PostgreSQL
            self._stack.callback(lambda: asyncio.run(drop_postgres_database(self.url)))
            migrate(self.url)
            port = free_port()
            self._stack.enter_context(app_server(self.url, port))
            command = schemathesis_command(f"http://127.0.0.1:{port}", self.url)
            report = self._stack.enter_context((directory / REPORT).open("w"))
            self.process = subprocess.Popen(command, stdout=report, stderr=subprocess.STDOUT, text=True)
            self._stack.callback(self._stop)
        except BaseException:
            self._stack.close()
            raise
        threading.Thread(target=self._record_status, args=(directory,), daemon=True).start()

    def _record_status(self, directory: Path) -> None:
        status = self.process.wait()
        (directory / f"{STATUS}.part").write_text(str(status))
        (directory / f"{STATUS}.part").rename(directory / STATUS)  # appears whole, or not at all

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        self._stack.close()


REPORT = "schemathesis-report.txt"
STATUS = "schemathesis-status"


def record_outcome(directory: Path, outcome: str, reason: str) -> None:
    """The run could not start: its test is to ``skip`` (no PostgreSQL) or ``fail``, with ``reason``."""
    (directory / STATUS).write_text(f"{outcome}: {reason}")


def finished(directory: Path) -> bool:
    """Whether the run writing to ``directory`` is over (or never started)."""
    return (directory / STATUS).exists()


def verdict(directory: Path, timeout: float = 900) -> tuple[int, str]:
    """The exit status and report of the run writing to ``directory``, once it is done."""
    deadline = time.monotonic() + timeout
    while not finished(directory):
        assert time.monotonic() < deadline, f"Schemathesis did not finish within {timeout} s"
        time.sleep(0.5)
    status = (directory / STATUS).read_text()
    if status.startswith("skip: "):
        pytest.skip(status.removeprefix("skip: "))
    if status.startswith("fail: "):
        pytest.fail(status.removeprefix("fail: "))
    return int(status), (directory / REPORT).read_text()


@pytest.mark.postgres
def test_api_matches_its_openapi_document_under_fuzzing(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    directory = fuzz_directory(request.config)
    run = None
    if directory is None:  # not started early: run it here
        directory = tmp_path
        run = FuzzRun(directory)
    try:
        status, report = verdict(directory)
    finally:
        if run is not None:
            run.close()
    assert status == 0, report
    cases = re.search(r"(\d+) generated", report)
    assert cases, report  # it really ran
    print(f"\nschemathesis: {cases.group(1)} test cases, no failure")


FUZZ_DIRECTORY = "fuzz_directory"
"""Where the early run writes (``tests/conftest.py``): a pytest-xdist worker's input, or the stash."""
FUZZ_RUN = pytest.StashKey[FuzzRun]()
FUZZ_DIRECTORY_KEY = pytest.StashKey[Path]()


def fuzz_directory(config: pytest.Config) -> Path | None:
    """The early run's directory, if one was started for this session."""
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        return Path(worker_input[FUZZ_DIRECTORY]) if worker_input.get(FUZZ_DIRECTORY) else None
    return config.stash.get(FUZZ_DIRECTORY_KEY, None)
