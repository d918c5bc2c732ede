"""A/B: two builds of the app served in turn on the same database, rounds alternated.

    python -m bench.ab --a /tmp/blog-before --b .              # two checkouts (git worktree add ...)
    python -m bench.ab --a . --b . --b-env APP_X=1             # one checkout, two settings
    python -m bench.ab --a REF --only 'GET /articles'          # REF: a commit, checked out for the run

Each round serves A, then B (then B, then A in the next round, so that neither always runs
second), each by the production command of docs/serving.md with one worker, and drives each
endpoint with wrk after a warm-up. Prints every round's figures and the medians, and B/A, both
as the ratio of the medians and as the median of each round's own ratio (less moved by drift).
The machine drifts by 10-20% within an hour: only figures of the same run compare.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.common import ROOT, THROUGHPUT_DATABASE, app_server, prepare_database, tokens
from bench.throughput import APP_PORT, ARTICLES, AUTHORS, READERS, scripts, wrk


@contextlib.contextmanager
def checkout(build: str) -> Iterator[Path]:
    """``build`` as a directory: itself if it is one, else a worktree of that commit for the run."""
    if Path(build).is_dir():
        yield Path(build).resolve()
        return
    with tempfile.TemporaryDirectory(prefix="blog-ab-") as directory:
        subprocess.run(["git", "worktree", "add", "--detach", directory, build], cwd=ROOT, check=True)
        try:
            yield Path(directory)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", directory], cwd=ROOT, check=True)


def _settings(pairs: list[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", default="HEAD", help="a directory or a commit (default HEAD)")
    parser.add_argument("--b", default=".", help="a directory or a commit (default: this checkout)")
    parser.add_argument("--a-env", action="append", default=[], help="NAME=value, a setting for A only")
    parser.add_argument("--b-env", action="append", default=[], help="NAME=value, a setting for B only")
    parser.add_argument("--only", default="GET /articles/{id}", help="comma-separated endpoints")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--server", default="uvicorn")
    args = parser.parse_args()
    endpoints = [endpoint.strip() for endpoint in args.only.split(",")]

    database = prepare_database(THROUGHPUT_DATABASE, AUTHORS, ARTICLES, reuse=True)
    rps: dict[tuple[str, str], list[float]] = {(build, e): [] for build in "AB" for e in endpoints}
    with (
        checkout(args.a) as a,
        checkout(args.b) as b,
        tempfile.TemporaryDirectory() as directory,
    ):
        builds = {"A": (a, _settings(args.a_env)), "B": (b, _settings(args.b_env))}
        files = {}
        for number, (endpoint, lua) in enumerate(scripts(tokens(READERS, AUTHORS)).items()):
            if endpoint in endpoints:
                files[endpoint] = Path(directory) / f"{number}.lua"
                files[endpoint].write_text(lua)
        for number in range(args.rounds):
            order = "AB" if number % 2 == 0 else "BA"
            for build in order:
                where, env = builds[build]
                log = Path(directory) / f"{build}.log"
                with app_server(database, APP_PORT, server=args.server, env=env, log=log, cwd=where):
                    for endpoint, script in files.items():
                        wrk(APP_PORT, script, args.warmup, args.connections)
                        rps[build, endpoint].append(wrk(APP_PORT, script, args.duration, args.connections).rps)
            figures = ", ".join(f"{b}{e.split()[-1]} {rps[b, e][-1]:.0f}" for b in "AB" for e in endpoints)
            print(f"round {number + 1}: {figures}", flush=True)
    print(f"\nA = {args.a} {' '.join(args.a_env)}\nB = {args.b} {' '.join(args.b_env)}")
    for endpoint in endpoints:
        a_rps, b_rps = (statistics.median(rps[build, endpoint]) for build in "AB")
        # Each round's B/A compares two runs minutes apart; the medians above, runs up to an hour apart.
        paired = statistics.median(b / a for a, b in zip(rps["A", endpoint], rps["B", endpoint], strict=True))
        line = f"{endpoint:<26} A {a_rps:>7.0f}  B {b_rps:>7.0f} req/s  B/A {b_rps / a_rps:.3f}"
        print(f"{line}  (rounds' B/A: {paired:.3f})")


if __name__ == "__main__":
    main()
