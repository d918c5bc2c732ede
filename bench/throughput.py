"""Throughput and latency of the app against the bare-driver floor, under wrk.

    python -m bench.throughput                     # 3 runs of 10 s per endpoint, 32 connections
    python -m bench.throughput --reuse             # keep and reuse the generated database
    python -m bench.throughput --servers uvicorn,granian
    python -m bench.throughput --reuse --runs 1 --duration 3 --only 'GET /articles?q=engine'   # a smoke run

Creates ``bench_throughput`` (10k authors, 100k articles, 0 to 3 tags each; ``BENCH_DATABASE``
names another) with the data generator, then for each run and server starts in turn the
floor (``bench/floor.py``), the tutorial app this project started from (``bench/peer.py``,
where its folder is present) and the app, each with one worker, and drives every endpoint
with ``wrk`` (a separate process; fixed connections and duration, after a warm-up). The app is served by the production
command exactly as docs/serving.md gives it, its log (a JSON line per request) written to a
file. Prints per server and endpoint the medians over the runs of requests/s, p50 and p99
latency, and errors; the app/floor ratio under the same server (``POST`` is compared with
the floor's ``GET /articles/{id}``, a search's page with its ``GET /articles``) and the
app/tutorial ratio; and each server's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.common import SERVERS, THROUGHPUT_DATABASE, app_server, asgi_server, prepare_database, tokens, vacuum
from bench.peer import peer_dir, peer_server
from blog import postgres

AUTHORS = 10_000
ARTICLES = 100_000
APP_PORT, FLOOR_PORT, PEER_PORT = 8765, 8766, 8768

# wrk scripts: each thread draws its own ids (seeded by its number, so runs are comparable).
_RANDOM = """
local counter = 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init(args) math.randomseed(seed * 7919) end
"""


def scripts(tokens: list[str]) -> dict[str, str]:
    """Each endpoint's wrk script; writes and logged-in reads take one of ``tokens`` at random."""
    token_table = "local tokens = {" + ", ".join(f'"{token}"' for token in tokens) + "}\n"
    as_reader = 'local function reader() return {["Authorization"] = "Token " .. tokens[math.random(#tokens)]} end\n'
    header = _RANDOM + token_table + as_reader
    return {
        "GET /articles/{id}": header + f'request = function() return wrk.format("GET", "/articles/" .. '
        f"math.random(1, {ARTICLES})) end",
        "GET /articles": 'request = function() return wrk.format("GET", "/articles") end',
        "GET /api/articles": 'request = function() return wrk.format("GET", "/api/articles") end',
        "GET /api/articles +token": header
        + 'request = function() return wrk.format("GET", "/api/articles", reader()) end',
        "GET /authors/{id}": header + f'request = function() return wrk.format("GET", "/authors/" .. '
        f"math.random(1, {AUTHORS})) end",
        # Full-text search, ranked: a word of the generated prose (in ~90% of the articles, every
        # one of them ranked for the page), and an article's number (in its title only: one match).
        SEARCH_COMMON: f'request = function() return wrk.format("GET", "/articles?q={COMMON_WORD}") end',
        SEARCH_RARE: header + f'request = function() return wrk.format("GET", "/articles?q=" .. '
        f"math.random(1, {ARTICLES})) end",
        "POST /articles": header
        + 'request = function() local headers = reader(); headers["Content-Type"] = "application/json"; '
        + 'return wrk.format("POST", "/articles", headers, \'{"title": "Benchmarked", "content": "A body."}\') end',
    }


COMMON_WORD = "engine"
"""A word of the generated prose (``blog.seed.WORDS``), in almost every article."""
SEARCH_COMMON = f"GET /articles?q={COMMON_WORD}"
SEARCH_RARE = "GET /articles?q={number}"
READS = ("GET /articles/{id}", "GET /articles", "GET /authors/{id}")
"""What the floor serves: the same rows, read by the bare driver."""
PEER_READS = ("GET /articles/{id}",)
"""What the tutorial app serves comparably (its ``GET /articles`` returns the whole table)."""
FLOOR_OF = {
    "POST /articles": "GET /articles/{id}",  # a write is compared with the floor's read
    # RealWorld's page (tags, author, and for a reader `favorited` and `following`) with the
    # floor's plain page of 20 articles.
    "GET /api/articles": "GET /articles",
    "GET /api/articles +token": "GET /articles",
    # A search's page with the floor's plain page of 20 articles.
    SEARCH_COMMON: "GET /articles",
    SEARCH_RARE: "GET /articles",
}
READERS = 200
"""Authors the logged-in requests are made as (each follows and favourites some others)."""


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(port: int, script: Path, seconds: int, connections: int) -> Result:
    argv = ["wrk", f"-c{connections}", "-t2", f"-d{seconds}s", "--latency", "-s", str(script)]
    output = subprocess.run([*argv, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return Result(rps, _ms(latency["50"]), _ms(latency["99"]), errors)


def peak_rss_mib(pid: int) -> float:
    """The largest peak RSS among ``pid`` and its children (Granian serves from a child process)."""
    status = Path(f"/proc/{pid}/status").read_text()
    peaks = [int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024]  # type: ignore[union-attr]
    for task in Path(f"/proc/{pid}/task").iterdir():
        peaks += [peak_rss_mib(int(child)) for child in (task / "children").read_text().split()]
    return max(peaks)


def floor_server(database: str, port: int, server: str) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    return asgi_server("bench.floor:app", port, {"FLOOR_DSN": postgres.asyncpg_dsn(database)}, server=server)


@contextlib.contextmanager
def written_rows_removed(database: str, endpoint: str) -> Iterator[None]:
    """For a write, the articles it made deleted afterwards (and the table vacuumed): they would
    otherwise be the newest, and every later run's pages would list them instead of the
    generated ones (``"A body."``, a tenth of an article's size), unlike the first run's."""
    if not endpoint.startswith("POST /articles"):
        yield
        return
    last = asyncio.run(_fetch(database, "SELECT coalesce(max(id), 0) FROM article"))
    try:
        yield
    finally:
        asyncio.run(_fetch(database, "DELETE FROM article WHERE id > $1", last))
        asyncio.run(vacuum(database))


async def _fetch(database: str, query: str, *values: object) -> object:
    connection = await asyncpg.connect(postgres.asyncpg_dsn(database))
    try:
        return await connection.fetchval(query, *values)
    finally:
        await connection.close()


@dataclass
class Run:
    results: dict[str, dict[str, Result]]
    """Per server (``app``, ``floor``, ``tutorial``), per endpoint."""
    peak_rss: dict[str, float]
    """Per server, MiB."""


def run_once(
    database: str, server: str, files: dict[str, Path], args: argparse.Namespace, logs: Path, peer: Path | None
) -> Run:
    """One round: the floor, the tutorial app (under uvicorn, as its README serves it) and the app."""
    run = Run(results={"floor": {}, "tutorial": {}, "app": {}}, peak_rss={})
    starts = {
        "floor": (lambda: floor_server(database, FLOOR_PORT, server), FLOOR_PORT, READS),
        "tutorial": (lambda: peer_server(peer, PEER_PORT, fill=False), PEER_PORT, PEER_READS),  # type: ignore[arg-type]
        "app": (lambda: app_server(database, APP_PORT, server=server, log=logs / f"app-{server}.log"), APP_PORT, None),
    }
    for name, (start, port, endpoints) in starts.items():
        if name == "tutorial" and peer is None:
            continue
        with start() as process:
            for endpoint, script in files.items():
                if endpoints is not None and endpoint not in endpoints:
                    continue
                with written_rows_removed(database, endpoint):
                    wrk(port, script, args.warmup, args.connections)
                    run.results[name][endpoint] = wrk(port, script, args.duration, args.connections)
            run.peak_rss[name] = peak_rss_mib(process.pid)
    print(f"  {server}: peak RSS " + ", ".join(f"{name} {rss:.0f} MiB" for name, rss in run.peak_rss.items()))
    return run


def load_options(doc: str, measured: str) -> argparse.Namespace:
    """The command line of a wrk benchmark; ``measured`` names what each run measures in turn."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help=f"seconds per {measured} and run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--reuse", action="store_true", help="reuse bench_throughput if it exists")
    parser.add_argument("--servers", default="uvicorn", help=f"comma-separated, of {', '.join(SERVERS)}")
    parser.add_argument("--only", default="", help="comma-separated endpoints to measure, e.g. 'GET /articles'")
    args = parser.parse_args()
    args.servers = args.servers.split(",")
    args.only = [endpoint.strip() for endpoint in args.only.split(",") if endpoint.strip()]
    if set(args.servers) - set(SERVERS):
        sys.exit(f"--servers: choose among {', '.join(SERVERS)}")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    return args


def main() -> None:
    args = load_options(__doc__, "endpoint")

    database = prepare_database(THROUGHPUT_DATABASE, AUTHORS, ARTICLES, reuse=args.reuse)
    peer = peer_dir()
    if peer is None:
        print("the tutorial app's folder is absent (BENCH_PEER_DIR): measuring without it")
    else:
        with peer_server(peer, PEER_PORT, fill=True):
            print(f"tutorial app: {peer}, database bench_peer filled")
    with tempfile.TemporaryDirectory() as directory:
        files = {}
        for number, (endpoint, lua) in enumerate(scripts(tokens(READERS, AUTHORS)).items()):
            if args.only and endpoint not in args.only:
                continue
            files[endpoint] = Path(directory) / f"{number}.lua"
            files[endpoint].write_text(lua)
        runs: dict[str, list[Run]] = {server: [] for server in args.servers}
        for run in range(args.runs):
            print(f"run {run + 1} of {args.runs}")
            for server in args.servers:
                runs[server].append(run_once(database, server, files, args, Path(directory), peer))
        for server in args.servers:
            log = Path(directory) / f"app-{server}.log"
            lines = log.read_bytes().count(b"\n") if log.exists() else 0
            print(f"{server}: the app wrote {lines:,} log lines ({log.stat().st_size / 2**20:.0f} MiB) to a file")
    for server, server_runs in runs.items():
        report(server, server_runs, args)


def report(server: str, runs: list[Run], args: argparse.Namespace) -> None:
    def median(role: str, endpoint: str, field: str) -> float:
        return float(statistics.median(getattr(run.results[role][endpoint], field) for run in runs))

    print(f"\n{server}: medians of {len(runs)} runs; {args.duration} s per endpoint, {args.connections} connections")
    print(f"{'endpoint':<28}{'app req/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}   ", end="")
    print(f"{'floor req/s':>11}{'p50 ms':>8}{'p99 ms':>8}{'app/floor':>10}{'tutorial':>10}{'app/tut.':>9}")
    for endpoint in runs[0].results["app"]:
        app = [median("app", endpoint, field) for field in ("rps", "p50", "p99", "errors")]
        line = f"{endpoint:<28}{app[0]:>10.0f}{app[1]:>8.2f}{app[2]:>8.2f}{app[3]:>7.0f}   "
        reference = FLOOR_OF.get(endpoint, endpoint)
        if reference not in runs[0].results["floor"]:  # not measured (--only)
            print(line)
            continue
        floor = [median("floor", reference, field) for field in ("rps", "p50", "p99")]
        shown = floor if endpoint in READS else [floor[0], float("nan"), float("nan")]
        line += f"{shown[0]:>11.0f}{shown[1]:>8.2f}{shown[2]:>8.2f}{app[0] / floor[0]:>9.0%}"
        if endpoint in runs[0].results["tutorial"]:
            tutorial = median("tutorial", endpoint, "rps")
            line += f"{tutorial:>10.0f}{app[0] / tutorial:>8.2f}x"
        print(line)
    rss = {role: statistics.median(run.peak_rss[role] for run in runs) for role in runs[0].peak_rss}
    print("peak RSS: " + ", ".join(f"{role} {value:.0f} MiB" for role, value in rss.items()))


if __name__ == "__main__":
    main()
