"""Clients for a running API server: sequential latency and throughput under concurrency.

Every loop is bounded twice: by a request count and by a deadline.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import httpx
import torch

from app.embeddings import Embedder
from benchmarks.stats import ms, ratio
from evals.wagner import Case

REQUEST_TIMEOUT = 120.0
WARM_UP = 3  # first requests pay for lazy imports and caches; not what a user waits for


def payload(case: Case) -> dict[str, Any]:
    body: dict[str, Any] = {"question": case.question}
    if case.history:
        body["history"] = [m.model_dump() for m in case.history]
    return body


def _problem(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    status = response.json().get("status")
    if status not in ("answered", "declined"):
        return f"unexpected status {status!r}"
    return None


def sequential(
    servers: dict[str, str],
    cases: list[Case],
    requests: int,
    deadline_s: float,
    embedder: Embedder,
) -> dict[str, Any]:
    """One request at a time to each server in turn (who goes first rotates), then the same
    question embedded alone in this process: every cost is measured side by side, under the same
    machine load, which on a shared machine drifts by the minute."""
    names = list(servers)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    embeds: list[float] = []
    single: list[float] = []
    errors: list[str] = []
    threads = torch.get_num_threads()
    deadline = time.monotonic() + deadline_s
    with contextlib.ExitStack() as stack:
        clients = {
            name: stack.enter_context(httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT))
            for name, url in servers.items()
        }
        for case in cases[:WARM_UP]:
            for client in clients.values():
                client.post("/v1/ask", json=payload(case))
            embedder.encode([case.question])
        for i in range(requests):
            if time.monotonic() > deadline:
                break
            case = cases[i % len(cases)]
            turn = i % len(names)
            for name in names[turn:] + names[:turn]:
                start = time.perf_counter()
                try:
                    problem = _problem(clients[name].post("/v1/ask", json=payload(case)))
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                latencies[name].append(time.perf_counter() - start)
                if problem:
                    errors.append(f"{name}: {problem}")
            start = time.perf_counter()
            embedder.encode([case.question])
            embeds.append(time.perf_counter() - start)
            # The same with one torch thread: on a shared machine two threads that must meet at
            # every operator wait on each other, and this shows how much of the cost that is.
            torch.set_num_threads(1)
            start = time.perf_counter()
            embedder.encode([case.question])
            single.append(time.perf_counter() - start)
            torch.set_num_threads(threads)
    embed = ms(embeds)
    http = {name: ms(values) for name, values in latencies.items()}
    return {
        "requests": len(embeds),
        "errors": len(errors),
        "error_samples": errors[:3],
        "http_ms": http,
        "query_embed_ms": embed,
        "query_embed_1thread_ms": ms(single),
        "torch_threads": threads,
        "http_over_embed_p50": {name: ratio(h["p50"], embed["p50"]) for name, h in http.items()},
    }


def concurrent(
    base_url: str, cases: list[Case], clients: int, requests: int, deadline_s: float
) -> dict[str, Any]:
    """`clients` threads, each with its own connection, sharing a budget of `requests`."""
    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + deadline_s

    def client_loop() -> None:
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            while True:
                with lock:
                    n = issued[0]
                    if n >= requests or time.monotonic() > deadline:
                        return
                    issued[0] += 1
                case = cases[n % len(cases)]
                start = time.perf_counter()
                try:
                    problem = _problem(client.post("/v1/ask", json=payload(case)))
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if problem:
                        errors.append(problem)

    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as warm:
        for case in cases[:WARM_UP]:
            warm.post("/v1/ask", json=payload(case))
    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline_s + REQUEST_TIMEOUT)
    wall = time.perf_counter() - start
    ok = len(latencies) - len(errors)
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:3],
        "stopped_by_deadline": len(latencies) < requests,
        "seconds": round(wall, 2),
        "rps": round(ok / wall, 2) if wall else 0.0,
        "latency_ms": ms(latencies),
    }
