"""Does a burst of logins stall other requests? p99 of a read alone, and while clients log in.

    python -m bench.login                 # 3 rounds of 10 s each way, 8 login clients
    python -m bench.login --reuse         # reuse bench_throughput if it exists

Serves the app as in production (one uvicorn worker, ``blog.asgi``) on the throughput
benchmark's database, signs up one account, then in each round drives ``GET /articles/{id}``
with wrk (32 connections) twice: alone, and while ``--clients`` clients (a thread of this
process, over HTTP) log in with that account's password as fast as they are answered. A
password check is Argon2id (~90 ms of CPU); done on the event loop it would hold every other
request for that long, done in a worker thread it costs the others a share of the CPU only.
Prints the medians of the rounds: requests/s and p50/p99 of the read, and logins/s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import THROUGHPUT_DATABASE, app_server, prepare_database
from bench.throughput import ARTICLES, AUTHORS, Result, scripts, wrk

PORT = 8768
ENDPOINT = "GET /articles/{id}"
ACCOUNT = {"username": "bench.login", "email": "bench.login@example.com", "password": "a benchmark passphrase"}


def sign_up(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        response = client.post("/authors", json=ACCOUNT)
        if response.status_code not in {201, 409}:  # 409: a reused database has it already
            sys.exit(f"sign-up failed: {response.status_code} {response.text}")


async def _log_in_until(base_url: str, clients: int, stop: threading.Event) -> int:
    """Log in from ``clients`` concurrent clients until ``stop``; the number of tokens received."""
    body = {"username": ACCOUNT["username"], "password": ACCOUNT["password"]}
    tokens = 0

    async def one_client(client: httpx.AsyncClient) -> None:
        nonlocal tokens
        while not stop.is_set():
            response = await client.post("/auth/token", json=body)
            if response.status_code != 200:
                raise RuntimeError(f"login failed: {response.status_code} {response.text}")
            tokens += 1

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await asyncio.gather(*(one_client(client) for _ in range(clients)))
    return tokens


def read_while_logging_in(base_url: str, script: Path, args: argparse.Namespace) -> tuple[Result, float]:
    """wrk on the read while the login clients run; the read's figures and logins per second."""
    stop = threading.Event()
    counted: list[int] = []
    logins = threading.Thread(target=lambda: counted.append(asyncio.run(_log_in_until(base_url, args.clients, stop))))
    logins.start()
    try:
        time.sleep(1)  # the clients are under way before the measurement starts
        started = time.perf_counter()
        result = wrk(PORT, script, args.duration, args.connections)
    finally:
        stop.set()
        logins.join()
    return result, counted[0] / (time.perf_counter() - started + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk each way and round")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections on the read")
    parser.add_argument("--clients", type=int, default=8, help="clients logging in at once")
    parser.add_argument("--reuse", action="store_true", help="reuse bench_throughput if it exists")
    args = parser.parse_args()

    database = prepare_database(THROUGHPUT_DATABASE, AUTHORS, ARTICLES, reuse=args.reuse)
    base_url = f"http://127.0.0.1:{PORT}"
    alone: list[Result] = []
    busy: list[Result] = []
    login_rates: list[float] = []
    # No throttling here: the clients know the password, and a benchmark is no brute force.
    with tempfile.TemporaryDirectory() as directory, app_server(database, PORT, env={"AUTH_LOGIN_ATTEMPTS": "1000000"}):
        script = Path(directory) / "read.lua"
        script.write_text(scripts(tokens=[])[ENDPOINT])
        sign_up(base_url)
        wrk(PORT, script, 3, args.connections)  # warm-up
        for number in range(args.rounds):
            print(f"round {number + 1} of {args.rounds}")
            alone.append(wrk(PORT, script, args.duration, args.connections))
            result, rate = read_while_logging_in(base_url, script, args)
            busy.append(result)
            login_rates.append(rate)

    def median(results: list[Result], field: str) -> float:
        return float(statistics.median(getattr(result, field) for result in results))

    print(f"\n{ENDPOINT}, medians of {args.rounds} rounds; {args.duration} s each, wrk {args.connections} connections")
    print(f"{'':<32}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'logins/s':>10}")
    for label, results, rate in (
        ("alone", alone, float("nan")),
        (f"while {args.clients} clients log in", busy, statistics.median(login_rates)),
    ):
        figures = [median(results, field) for field in ("rps", "p50", "p99", "errors")]
        print(f"{label:<32}{figures[0]:>8.0f}{figures[1]:>9.2f}{figures[2]:>9.2f}{figures[3]:>8.0f}{rate:>10.1f}")


if __name__ == "__main__":
    main()
