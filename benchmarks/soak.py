"""A bounded soak on loopback: many clients, mixed good and bad requests, for a fixed time.

    python -m benchmarks.soak --clients 16 --seconds 60

Reports server errors (must be zero), the API process's memory at the start (after a warm-up)
and at the end (growth must stay under 10%), and latency. Every loop is bounded in time and in
count; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from app.config import ROOT
from benchmarks.procs import HOST, _env, free_port
from benchmarks.stats import ms
from evals.wagner import load_cases

MAX_REQUESTS_PER_CLIENT = 5000
WARM_UP_S = 15.0
BAD_REQUESTS: list[dict[str, Any]] = [
    {"content": b"{not json", "headers": {"content-type": "application/json"}},
    {"json": {"question": ""}},
    {"json": {"question": "bell\u0007"}},
    {"json": {"question": "ok", "filters": {"source_ids": ["no-such-source"]}}},
    {"json": {"question": "ok", "history": [{"role": "user", "content": "x"}] * 25}},
    {"json": {"question": 42}},
    {"content": b'{"question": "\xff"}', "headers": {"content-type": "application/json"}},
]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _load(
    base: str,
    questions: list[str],
    clients: int,
    seconds: float,
    codes: list[int],
    latencies: list[float],
    failures: list[str],
) -> None:
    """`clients` threads posting mixed good and bad questions until `seconds` have passed."""
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            for i in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= stop_at:
                    return
                n = k * 7919 + i
                bad = n % 5 == 0  # one request in five is bad input
                kwargs = (
                    BAD_REQUESTS[n % len(BAD_REQUESTS)]
                    if bad
                    else {"json": {"question": questions[n % len(questions)]}}
                )
                t0 = time.perf_counter()
                try:
                    code = http.post("/v1/ask", **kwargs).status_code
                except httpx.HTTPError as exc:
                    code = 599
                    with lock:
                        failures.append(type(exc).__name__)
                elapsed = time.perf_counter() - t0
                with lock:
                    codes.append(code)
                    if not bad and code == 200:
                        latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def soak(corpus_dir: Path, data_dir: Path, clients: int, seconds: float) -> dict[str, Any]:
    questions = [c.question for c in load_cases() if not c.history]
    port = free_port()
    env = _env({"VERBATIM_CORPUS_DIR": str(corpus_dir), "VERBATIM_DATA_DIR": str(data_dir)})
    argv = [sys.executable, "-m", "uvicorn", "app.api.asgi:app", "--host", HOST,
            "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        # Warm up under the same load (thread pools, allocator arenas and caches reach their
        # working size), then measure growth over the soak itself.
        _load(base, questions, clients, WARM_UP_S, [], [], [])
        rss_start = _rss_mib(proc.pid)
        codes: list[int] = []
        latencies: list[float] = []
        failures: list[str] = []
        _load(base, questions, clients, seconds, codes, latencies, failures)
        rss_end = _rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    server_errors = sum(1 for c in codes if c >= 500)
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": len(codes),
        "requests_per_s": round(len(codes) / seconds, 1),
        "status_counts": {str(c): codes.count(c) for c in sorted(set(codes))},
        "server_errors": server_errors,
        "transport_failures": failures[:10],
        "latency_ms_good_requests": ms(latencies),
        "rss_mib_start": round(rss_start, 1),
        "rss_mib_end": round(rss_end, 1),
        "rss_growth_pct": round(100 * (rss_end - rss_start) / rss_start, 2) if rss_start else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    data = ROOT / "benchmarks" / "cache" / "soak-data"
    result = soak(ROOT / "corpus", data, args.clients, args.seconds)
    print(json.dumps(result, indent=2))
    ok = result["server_errors"] == 0 and (result["rss_growth_pct"] or 0) < 10
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
