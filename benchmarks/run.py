"""`python -m benchmarks.run [--sizes 1000,10000,100000] [--quick] [--parts ...]` (`make bench`).

For the 3 vetted sources and each corpus size: ingest (cached when unchanged), query latency
through real HTTP beside the cost of one query embedding, per-stage timings, throughput with 1,
4 and 16 clients, quality on the Wagner suite, our retrieval against plain LangChain similarity,
and, on the 3-source and 10k corpora, embedded Chroma against a Chroma server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
from typing import Any

from app.config import Settings, quiet_third_parties

PARTS = ("latency", "concurrency", "quality", "retrieval", "chroma")
CLIENTS = (1, 4, 16)
CHROMA_TARGETS = (0, 10_000)  # the 3-source corpus and 10k: the sizes the comparison runs on

_t0 = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - _t0:7.1f}s] {message}", file=sys.stderr, flush=True)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="corpus sizes in passages, comma-separated (the 3 sources always run)",
    )
    p.add_argument("--quick", action="store_true", help="small request counts, for a fast look")
    p.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"which measurements, comma-separated: {', '.join(PARTS)} "
        "(ingest always runs: the others need the index; `--parts ingest` measures it alone)",
    )
    p.add_argument("--k", type=int, default=5, help="k for the retrieval comparison")
    p.add_argument(
        "--reingest", action="store_true", help="embed every corpus again, to measure ingest afresh"
    )
    p.add_argument(
        "--ingest-timeout",
        type=float,
        default=3 * 3600,
        help="seconds one corpus's ingest may take",
    )
    args = p.parse_args(argv)
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        p.error(f"--sizes must be whole numbers, got {args.sizes!r}")
    args.parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = sorted(set(args.parts) - {*PARTS, "ingest"})
    if unknown:
        p.error(f"unknown --parts {', '.join(unknown)}: choose from {', '.join(PARTS)}")
    if any(s <= 0 for s in args.sizes) or args.k < 1:
        p.error("sizes and --k must be positive")
    return args


def _budget(quick: bool) -> dict[str, Any]:
    """Request counts and time caps; --quick is for a look in a minute, not for the README."""
    if quick:
        return {"sequential": 30, "stage_cases": 30, "concurrency": {1: 10, 4: 20, 16: 32},
                "deadline_s": 45.0}  # fmt: skip
    return {"sequential": 200, "stage_cases": None, "concurrency": {1: 50, 4: 100, 16: 160},
            "deadline_s": 120.0}  # fmt: skip


def _release() -> None:
    """Free the last corpus's engine and Chroma handles before the next, larger one loads."""
    from chromadb.api.shared_system_client import SharedSystemClient

    gc.collect()
    SharedSystemClient.clear_system_cache()


def bench_corpus(target: int, args: argparse.Namespace, ctx: dict[str, Any]) -> dict[str, Any]:
    from benchmarks import corpora, inproc, load, machine, procs
    from benchmarks.ingest import ensure_index

    budget, cases, parts = ctx["budget"], ctx["cases"], args.parts
    corpus = corpora.build(target)
    label = corpus.label
    say(f"{label}: {corpus.passages:,} passages in {corpus.sources:,} sources "
        f"({corpus.filler_share:.0%} filler) under {corpus.corpus_dir}")  # fmt: skip
    result: dict[str, Any] = corpus.describe()
    result["load_average"] = machine.load_average()
    result["ingest"] = ensure_index(corpus, reingest=args.reingest, timeout=args.ingest_timeout)
    ing = result["ingest"]
    say(f"{label}: ingest {'(cached) ' if ing['cached'] else ''}{ing['passages_per_s']} "
        f"passages/s, peak RSS {ing['peak_rss_mib']} MiB")  # fmt: skip
    if "latency" in parts or "concurrency" in parts:
        with procs.api_server(f"api-{label}", corpus.corpus_dir, corpus.data_dir) as server:
            result["api_ready_s"] = round(server.seconds, 2)
            say(f"{label}: API server ready in {server.seconds:.1f}s at {server.url}")
            if "latency" in parts:
                say(f"{label}: HTTP latency, {budget['sequential']} sequential requests")
                seq = load.sequential(
                    {"api": server.url}, cases, budget["sequential"], budget["deadline_s"] * 3,
                    ctx["embedder"],
                )  # fmt: skip
                result["http"] = {
                    **seq,
                    "http_ms": seq["http_ms"]["api"],
                    "http_over_embed_p50": seq["http_over_embed_p50"]["api"],
                }
            if "concurrency" in parts:
                result["concurrency"] = []
                for clients in CLIENTS:
                    say(f"{label}: {clients} concurrent clients")
                    result["concurrency"].append(load.concurrent(
                        server.url, cases, clients, budget["concurrency"][clients],
                        budget["deadline_s"],
                    ))  # fmt: skip
    settings = Settings(corpus_dir=corpus.corpus_dir, data_dir=corpus.data_dir, chroma_host=None)
    engine, open_s = inproc.open_engine(settings)
    result["engine_open_s"] = open_s
    ctx.setdefault("threshold", engine.threshold)
    if "latency" in parts:
        say(f"{label}: per-stage timings in process")
        result["stages"] = inproc.stage_timings(
            {"embedded": engine}, cases[: budget["stage_cases"]], 1
        )["embedded"]
    if "quality" in parts:
        say(f"{label}: Wagner suite")
        result["quality"] = inproc.quality(engine)
    if "retrieval" in parts:
        say(f"{label}: our retrieval vs plain similarity search (k={args.k})")
        result["retrieval"] = inproc.retrieval(engine, cases, args.k)
    del engine
    _release()
    if "chroma" in parts and target in CHROMA_TARGETS:
        ctx["chroma"].append(compare_chroma(corpus, settings, ctx))
    return result


def compare_chroma(corpus: Any, settings: Settings, ctx: dict[str, Any]) -> dict[str, Any]:
    """The same collection embedded and behind `chroma run`: engines in process, then two API
    servers, each pair measured alternately; then two API workers sharing the Chroma server."""
    from benchmarks import chroma, inproc, load, procs
    from benchmarks.corpora import CACHE
    from benchmarks.stats import ratio

    budget, cases, label = ctx["budget"], ctx["cases"], corpus.label
    deadline = budget["deadline_s"]
    server_data = corpus.data_dir.parent / "data-server"  # nothing of the index is stored here
    out: dict[str, Any] = {"label": label, "embedded": {}, "server": {}}
    sides: dict[str, dict[str, Any]] = {"embedded": out["embedded"], "server": out["server"]}
    with procs.chroma_server(CACHE / "chroma-server" / label.replace(" ", "-")) as port:
        say(f"{label}: Chroma server on port {port}; seeding it from the embedded index")
        out["seed"] = chroma.seed(settings, port)
        remote = settings.model_copy(
            update={"chroma_host": procs.HOST, "chroma_port": port, "data_dir": server_data}
        )
        engines = {}
        for name, chosen in (("embedded", settings), ("server", remote)):
            engines[name], sides[name]["open_s"] = inproc.open_engine(chosen)
        say(f"{label}: embedded vs server in process, alternating")
        stages = inproc.stage_timings(engines, cases[: budget["stage_cases"]], 1)
        for name in engines:
            sides[name]["stages"] = stages[name]
        del engines
        _release()
        with (
            procs.api_server(f"api-{label}-embedded", corpus.corpus_dir, corpus.data_dir) as a,
            procs.api_server(
                f"api-{label}-chroma-server", corpus.corpus_dir, server_data, chroma_port=port
            ) as b,
        ):
            say(f"{label}: embedded vs server over HTTP, alternating")
            urls = {"embedded": a.url, "server": b.url}
            seq = load.sequential(urls, cases, budget["sequential"], deadline * 3, ctx["embedder"])
            out["query_embed_ms"] = seq["query_embed_ms"]
            for name, url in urls.items():
                heavy = load.concurrent(url, cases, 16, budget["concurrency"][16], deadline)
                sides[name] |= {
                    "http_ms": seq["http_ms"][name],
                    "rps": heavy["rps"],
                    "latency_16_ms": heavy["latency_ms"],
                    "errors": heavy["errors"],
                    "error_samples": heavy["error_samples"],
                }  # fmt: skip
            out["sequential_errors"] = seq["errors"]
            out["sequential_error_samples"] = seq["error_samples"]
        workers = 2
        # Two workers with torch's default threads each (one per core) oversubscribe the cores;
        # with one thread each they do not. Both, so the README can say which to run.
        for key, threads in (("server_workers", None), ("server_workers_1thread", 1)):
            with procs.api_server(
                f"api-{label}-chroma-server-w{workers}-t{threads or 'default'}",
                corpus.corpus_dir, server_data,
                workers=workers, chroma_port=port, torch_threads=threads,
            ) as api:  # fmt: skip
                say(f"{label}: {workers} API workers sharing the Chroma server, "
                    f"torch threads {threads or 'default'}, 16 clients")  # fmt: skip
                heavy = load.concurrent(api.url, cases, 16, budget["concurrency"][16], deadline)
                out[key] = {
                    "workers": workers, "torch_threads": threads, "rps": heavy["rps"],
                    "errors": heavy["errors"], "error_samples": heavy["error_samples"],
                    "latency_16_ms": heavy["latency_ms"],
                }  # fmt: skip
    e, s_ = out["embedded"], out["server"]
    out["ratios"] = {
        "open_s": ratio(s_["open_s"], e["open_s"]),
        "in_process_p50": ratio(s_["stages"]["total"]["p50"], e["stages"]["total"]["p50"]),
        "search_p50": ratio(s_["stages"]["search"]["p50"], e["stages"]["search"]["p50"]),
        "http_p50": ratio(s_["http_ms"]["p50"], e["http_ms"]["p50"]),
        "rps": ratio(s_["rps"], e["rps"]),
        "workers_rps": ratio(out["server_workers"]["rps"], s_["rps"]),
        "workers_1thread_rps": ratio(out["server_workers_1thread"]["rps"], s_["rps"]),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    quiet_third_parties()
    args = _args(argv)
    from app.embeddings import load_embedder
    from benchmarks import machine, report
    from evals.wagner import load_cases

    base = Settings()
    load_start = machine.load_average()
    embedder, _ = load_embedder(base.embedding_model, base.device)
    ctx: dict[str, Any] = {
        "budget": _budget(args.quick),
        "cases": load_cases(),
        "embedder": embedder,  # for the query-embedding cost beside each HTTP request
        "chroma": [],
    }
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    results = []
    for target in [0, *args.sizes]:
        results.append(bench_corpus(target, args, ctx))
    budget = ctx["budget"]
    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": machine.describe_commit(),
        "machine": machine.describe_machine(),
        "load_average": {"start": load_start, "end": machine.load_average()},
        "settings": machine.describe_settings(base, ctx.get("threshold")),
        "bench": {
            "command": command.strip(),
            "sizes": args.sizes,
            "quick": args.quick,
            "parts": args.parts,
            "questions": len(ctx["cases"]),
            "sequential_requests": budget["sequential"],
            "concurrency_requests": {str(k): v for k, v in budget["concurrency"].items()},
            "deadline_s": budget["deadline_s"],
            "clients": list(CLIENTS),
            "k": args.k,
        },
        "runtime_s": round(time.perf_counter() - _t0, 1),
        "corpora": results,
        "chroma": ctx["chroma"],
    }
    errors = (
        sum(lv["errors"] for c in results for lv in c.get("concurrency", []))
        + sum((c.get("http") or {}).get("errors", 0) for c in results)
        + sum(
            c["sequential_errors"]
            + c["server"]["errors"]
            + c["embedded"]["errors"]
            + c["server_workers"]["errors"]
            + c["server_workers_1thread"]["errors"]
            for c in ctx["chroma"]
        )
    )
    out["errors"] = errors
    json_path, md_path = report.write(out)
    say(f"wrote {json_path} and {md_path}")
    print(md_path.read_text(encoding="utf-8"))
    if errors:
        say(f"{errors} request(s) failed: see error_samples in {json_path}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
