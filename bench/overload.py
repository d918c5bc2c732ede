"""Overload: one worker under 1,000 clients at once, against its throughput under 32.

    python -m bench.overload                      # uvicorn, 3 rounds of 10 s
    python -m bench.overload --servers uvicorn,granian

The app is served by the production command of docs/serving.md with one worker. Each round
drives ``GET /articles/{id}`` with 32 connections, then with 1,000, and reports for the
second: every answer's p50 and p99 (wrk's latency covers 2xx and 503 alike), the 2xx per
second as a share of the 32-client throughput, the 503s per second, and socket errors
(connections the server did not answer). What ``app.queue_timeout`` promises: every
connection answered, a p99 within about the timeout plus a request's own time, and the
worker's throughput kept for the requests it does serve.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.ab import checkout
from bench.common import SERVERS, THROUGHPUT_DATABASE, app_server, prepare_database
from bench.throughput import APP_PORT, ARTICLES, AUTHORS, scripts, wrk


def wrk_answers(port: int, script: Path, seconds: int, connections: int) -> dict[str, float]:
    """wrk's figures, with the 2xx and the non-2xx counted apart."""
    argv = ["wrk", f"-c{connections}", "-t2", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(script)]
    output = subprocess.run([*argv, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    refused = int(non_2xx.group(1)) if non_2xx else 0
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def ms(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(number) * units[unit]

    return {
        "ok_rps": (total - refused) / seconds,
        "refused_rps": refused / seconds,
        "socket_errors": sum(int(n) for n in sockets.groups()) if sockets else 0,
        "p50": ms(latency["50"]),
        "p99": ms(latency["99"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--servers", default="uvicorn", help=f"comma-separated, of {', '.join(SERVERS)}")
    parser.add_argument("--endpoint", default="GET /articles/{id}", help="one of bench.throughput's endpoints")
    parser.add_argument("--build", default=".", help="a directory or a commit to serve (default: this checkout)")
    args = parser.parse_args()

    database = prepare_database(THROUGHPUT_DATABASE, AUTHORS, ARTICLES, reuse=True)
    endpoint = args.endpoint
    with tempfile.TemporaryDirectory() as directory, checkout(args.build) as build:
        script = Path(directory) / "read.lua"
        script.write_text(scripts(tokens=[])[endpoint])
        for server in args.servers.split(","):
            base: list[float] = []
            loaded: list[dict[str, float]] = []
            for run in range(args.runs):
                with app_server(database, APP_PORT, server=server, log=Path(directory) / "app.log", cwd=build):
                    wrk(APP_PORT, script, 3, 32)
                    base.append(wrk(APP_PORT, script, args.duration, 32).rps)
                    loaded.append(wrk_answers(APP_PORT, script, args.duration, args.clients))
                print(f"{server} run {run + 1}: 32 clients {base[-1]:.0f} req/s; {args.clients} clients {loaded[-1]}")
            median = {key: statistics.median(figures[key] for figures in loaded) for key in loaded[0]}
            reference = statistics.median(base)
            print(
                f"\n{server}, {endpoint}, medians of {args.runs} runs of {args.duration} s:\n"
                f"  32 clients: {reference:.0f} req/s\n"
                f"  {args.clients} clients: {median['ok_rps']:.0f} 2xx/s ({median['ok_rps'] / reference:.0%} of that), "
                f"{median['refused_rps']:.0f} 503/s, p50 {median['p50']:.0f} ms, p99 {median['p99']:.0f} ms, "
                f"socket errors {median['socket_errors']:.0f}"
            )


if __name__ == "__main__":
    main()
