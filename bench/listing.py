"""Listing latency on a small and a large database: is a first page as fast at 1M rows?

    python -m bench.listing              # 1,000 vs 1,000,000 articles
    python -m bench.listing --reuse      # keep and reuse the generated databases

Prints, for each listing (first page, one author's page, a title search), the median and
95th percentile of sequential request latencies (several rounds, medians of the rounds),
and the large/small ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from bench.common import app_server, prepare_database

QUERIES = {
    "first page": "/articles",
    "by author": "/articles?author_id=42",
    "author's articles": "/authors/42/articles",
    "search": "/articles?searchString=Poetry%20loom",
    "search, any case": "/articles?searchString=poetry%20LOOM&searchIgnoreCase=true",
    "page 50": "/articles?currentPage=50",
}


def measure(port: int, path: str, requests: int) -> list[float]:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(max(10, requests // 10)):  # warm-up
            client.get(path).raise_for_status()
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()

    sizes = {"small": args.small, "large": args.large}
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for label, articles in sizes.items():
        url = prepare_database(f"bench_listing_{articles}", max(100, articles // 100), articles, reuse=args.reuse)
        with app_server(url, port=8765):
            results[label] = {}
            for name, path in QUERIES.items():
                rounds = [measure(8765, path, args.requests) for _ in range(args.rounds)]
                p50 = statistics.median(statistics.median(r) for r in rounds)
                p95 = statistics.median(statistics.quantiles(r, n=20)[18] for r in rounds)
                results[label][name] = (p50, p95)

    print(f"\nsequential latency, ms (median of {args.rounds} rounds of {args.requests} requests)")
    print(f"{'listing':<20}{'small p50':>10}{'small p95':>10}{'large p50':>10}{'large p95':>10}{'ratio':>8}")
    for name in QUERIES:
        small, large = results["small"][name], results["large"][name]
        print(
            f"{name:<20}{small[0]:>10.2f}{small[1]:>10.2f}{large[0]:>10.2f}{large[1]:>10.2f}{large[0] / small[0]:>8.2f}"
        )
    print(f"(small: {args.small} articles, large: {args.large} articles)")


if __name__ == "__main__":
    main()
