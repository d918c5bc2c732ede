"""The API against its own OpenAPI document, fuzzed by Schemathesis over real HTTP.

The app is served by uvicorn (as the benchmarks serve it) on a throwaway PostgreSQL database and Schemathesis runs every
phase against it: the schema's examples, boundary values of every field and parameter
(``coverage``), random requests (``fuzzing``) and request sequences that follow each
``Location`` header (``stateful``), with a fresh account's token so that writes are fuzzed
too. ``--checks all`` fails the run on any 5xx, a response
that does not match the documented schema, status or media type, a schema-valid request
that is rejected, or an invalid one that is accepted.

The seed is fixed so that CI is repeatable; ``FUZZ_SEED`` and ``FUZZ_MAX_EXAMPLES`` widen
the search (``FUZZ_SEED=random`` draws a new seed, which Schemathesis prints).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.common import app_server
from tests.conftest import create_postgres_database, drop_postgres_database, migrate
from tests.helpers import PASSWORD, free_port

DEFAULT_SEED = "20261125"
DEFAULT_MAX_EXAMPLES = "30"


def fresh_token(base_url: str) -> str:
    """A new account's token, so that protected operations are fuzzed too."""
    account = {"username": "fuzzer", "email": "fuzzer@example.com", "password": PASSWORD}
    with httpx.Client(base_url=base_url) as client:
        assert client.post("/authors", json=account).status_code == 201
        login = client.post("/auth/token", data={"grant_type": "password", "username": "fuzzer", "password": PASSWORD})
        return str(login.json()["access_token"])


def schemathesis(base_url: str) -> subprocess.CompletedProcess[str]:
    seed = os.environ.get("FUZZ_SEED", DEFAULT_SEED)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
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
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.postgres
async def test_api_matches_its_openapi_document_under_fuzzing() -> None:
    url = await create_postgres_database()
    try:
        await asyncio.to_thread(migrate, url)
        port = free_port()
        with app_server(url, port):
            result = await asyncio.to_thread(schemathesis, f"http://127.0.0.1:{port}")
    finally:
        await drop_postgres_database(url)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    cases = re.search(r"(\d+) generated", report)
    assert cases, report  # it really ran
    print(f"\nschemathesis: {cases.group(1)} test cases, no failure")
