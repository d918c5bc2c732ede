"""The API against its own OpenAPI document, fuzzed by Schemathesis over real HTTP.

The app is served by uvicorn (as the benchmarks serve it) on a throwaway PostgreSQL database and Schemathesis runs every
phase against it: the schema's examples, boundary values of every field and parameter
(``coverage``), random requests (``fuzzing``) and request sequences that follow each
``Location`` header (``stateful``), with a fresh account's token so that writes are fuzzed
too. ``--checks all`` fails the run on any 5xx, a response
that does not match the documented schema, status or media type, a schema-valid request
that is rejected, or an invalid one that is accepted. ``tests/schemathesis.toml`` holds the
per-operation settings.

The run takes a minute or two, nearly all of it Schemathesis making up requests; so when this
test is selected it starts as soon as the tests are collected (``tests/conftest.py``) and runs
beside the others, and the test itself waits for its verdict.

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
import tempfile
from pathlib import Path

import httpx
import pytest

from bench.common import app_server
from tests.conftest import create_postgres_database, drop_postgres_database, migrate
from tests.helpers import PASSWORD, free_port

DEFAULT_SEED = "20261125"
DEFAULT_MAX_EXAMPLES = "30"
CONFIG = Path(__file__).with_name("schemathesis.toml")


def fresh_token(base_url: str) -> str:
    """A new account's token, so that protected operations are fuzzed too."""
    account = {"username": "fuzzer", "email": "fuzzer@example.com", "password": PASSWORD}
    with httpx.Client(base_url=base_url) as client:
        assert client.post("/authors", json=account).status_code == 201
        login = client.post("/auth/token", data={"grant_type": "password", "username": "fuzzer", "password": PASSWORD})
        return str(login.json()["access_token"])


def schemathesis_command(base_url: str) -> list[str]:
    seed = os.environ.get("FUZZ_SEED", DEFAULT_SEED)
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        f"--config-file={CONFIG}",
        "run",
        f"{base_url}/docs/openapi.json",
        f"--header=Authorization: Bearer {fresh_token(base_url)}",
        "--checks=all",
        f"--max-examples={os.environ.get('FUZZ_MAX_EXAMPLES', DEFAULT_MAX_EXAMPLES)}",
        *([] if seed == "random" else [f"--seed={seed}"]),
        "--workers=2",
        "--request-timeout=15",
        "--output-sanitize=false",
        "--no-color",
    ]


class FuzzRun:
    """One Schemathesis run against a served app on its own database, in the background."""

    def __init__(self) -> None:
        self.url = asyncio.run(create_postgres_database())  # skips (or fails, under CI) without PostgreSQL
        self._stack = contextlib.ExitStack()
        self._stack.callback(lambda: asyncio.run(drop_postgres_database(self.url)))
        migrate(self.url)
        port = free_port()
        self._stack.enter_context(app_server(self.url, port))
        self.output = self._stack.enter_context(tempfile.TemporaryFile(mode="w+"))  # noqa: SIM115 - the stack closes it
        self.process = subprocess.Popen(
            schemathesis_command(f"http://127.0.0.1:{port}"), stdout=self.output, stderr=subprocess.STDOUT, text=True
        )
        self._stack.callback(self._stop)

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def verdict(self, timeout: float = 900) -> tuple[int, str]:
        """Schemathesis's exit status and report, once it is done."""
        status = self.process.wait(timeout)
        self.output.seek(0)
        return status, self.output.read()

    def close(self) -> None:
        self._stack.close()


@pytest.mark.postgres
def test_api_matches_its_openapi_document_under_fuzzing(request: pytest.FixtureRequest) -> None:
    run = request.config.stash.get(FUZZ_RUN, None) or FuzzRun()
    try:
        status, report = run.verdict()
    finally:
        run.close()
    assert status == 0, report
    cases = re.search(r"(\d+) generated", report)
    assert cases, report  # it really ran
    print(f"\nschemathesis: {cases.group(1)} test cases, no failure")


FUZZ_RUN = pytest.StashKey[FuzzRun]()
"""The run started early (``tests/conftest.py``), if it was."""
