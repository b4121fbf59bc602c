"""The report: JSON with every number, and Markdown tables for the README."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
NA = "–"


def write(report: dict[str, Any]) -> tuple[Path, Path]:
    """bench-latest.{json,md} (committed) and a timestamped copy of each (kept locally)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    md = markdown(report)
    for name in ("bench-latest", f"bench-{stamp}"):
        (RESULTS / f"{name}.json").write_text(text, encoding="utf-8")
        (RESULTS / f"{name}.md").write_text(md, encoding="utf-8")
    return RESULTS / "bench-latest.json", RESULTS / "bench-latest.md"


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _n(value: Any, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return NA
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    return str(value)


def _pct(value: Any) -> str:
    return NA if value is None else f"{100 * value:.1f}%"


def _delta(value: Any, base: Any) -> str:
    if value is None or base is None:
        return NA
    return f"{100 * (value - base):+.1f} pt"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def markdown(report: dict[str, Any]) -> str:
    m, s, b = report["machine"], report["settings"], report["bench"]
    corpora: list[dict[str, Any]] = report["corpora"]
    out = [
        "# Verbatim benchmarks",
        "",
        f"`{b['command']}` on {report['date']}, commit `{report['commit']['commit']}`"
        + (" (with uncommitted changes)" if report["commit"]["dirty"] else "")
        + f"; took {report['runtime_s'] / 60:.1f} min.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}; "
        f"Python {m['python']}, torch {m['packages']['torch']} ({m['torch_threads']} threads), "
        f"chromadb {m['packages']['chromadb']}, "
        f"{'GPU ' + m['gpu'] if m.get('gpu') else 'no GPU'} (device `{s['device']}`).",
        f"- Load average (1/5/15 min) at start {report['load_average']['start']}, "
        f"at end {report['load_average']['end']}: other work on the machine inflates latency.",
        f"- Settings: model `{s['embedding_model']}`, dense_k {s['dense_k']}, "
        f"lexical_k {s['lexical_k']}, evidence_k {s['evidence_k']}, "
        f"answer threshold {s['answer_threshold']}.",
        f"- Requests: {b['sequential_requests']} sequential HTTP requests per corpus; "
        f"concurrency budgets {b['concurrency_requests']} requests (cap {b['deadline_s']} s "
        f"per level); questions are the Wagner suite's ({b['questions']} questions).",
        "",
        "## Corpora and ingest",
        "",
        "The 3 vetted Wagner sources, then SQuAD 2.0 paragraphs (real text), then generated "
        "filler: sentences recombined from halves of two SQuAD sentences (seeded, deterministic). "
        "Ingest is `open_index` (load, split, embed, store, BM25) in its own process.",
        "",
    ]
    rows = []
    for c in corpora:
        ing = c.get("ingest") or {}
        rows.append([
            c["label"], _n(c["sources"]), _n(c["passages"]), _n(c["squad_passages"]),
            f"{_n(c['filler_passages'])} ({_pct(c['filler_share'])})",
            _n(ing.get("passages_per_s")), _n(ing.get("build_s")), _pct(ing.get("embed_share")),
            _n(ing.get("peak_rss_mib"), 0),
            ("cached, " if ing.get("cached") else "") + str(ing.get("date", NA))[:10],
        ])  # fmt: skip
    out += _table(
        ["corpus", "sources", "passages", "SQuAD", "filler (share)", "ingest passages/s",
         "ingest s", "embedding share", "peak RSS MiB", "ingest measured"],
        rows,
    )  # fmt: skip
    out += [
        "## Query latency (ms)",
        "",
        "HTTP: `POST /v1/ask` to a `uvicorn` subprocess on loopback, one request at a time; "
        "after each, the same question is embedded alone (`embedder.encode([q])`) in the "
        "benchmark process, with torch's default threads and then with one. Stages: "
        "`Engine.ask_traced` in process, p50. Load: the machine's 1-minute load average when "
        "the corpus's measurements began.",
        "",
    ]
    rows = []
    for c in corpora:
        h, st = c.get("http") or {}, c.get("stages") or {}
        rows.append([
            c["label"], _n((c.get("load_average") or [None])[0], 2),
            _n(_get(h, "http_ms", "p50")), _n(_get(h, "http_ms", "p95")),
            _n(_get(h, "http_ms", "p99")), _n(_get(h, "query_embed_ms", "p50")),
            _n(_get(h, "query_embed_1thread_ms", "p50")),
            _n(h.get("http_over_embed_p50"), 2, "×"), _n(_get(st, "total", "p50")),
            *[_n(_get(st, stage, "p50"), 2) for stage in
              ("analyse", "embed", "search", "read", "compose", "verify")],
        ])  # fmt: skip
    out += _table(
        ["corpus", "load", "HTTP p50", "p95", "p99", "query embed p50", "same, 1 thread",
         "HTTP / embed", "in-process p50", "analyse", "embed", "search", "read",
         "compose", "verify"],
        rows,
    )  # fmt: skip
    out += [
        "## Throughput on loopback",
        "",
        "Requests/s with N concurrent HTTP clients (threads, one connection each) against one "
        "API process; p95 latency in brackets; * where the time cap ended the level before its "
        "request budget.",
        "",
    ]
    rows = []
    for c in corpora:
        levels = {lv["clients"]: lv for lv in c.get("concurrency") or []}
        cells = [
            f"{lv['rps']:.1f} ({lv['latency_ms']['p95']:.0f} ms)"
            + ("*" * lv["stopped_by_deadline"])
            if lv
            else NA
            for lv in (levels.get(n) for n in b["clients"])
        ]
        errors = sum(lv["errors"] for lv in levels.values()) if levels else None
        rows.append([c["label"], *cells, _n(errors)])
    out += _table(["corpus", *[f"{n} client{'s' * (n > 1)}" for n in b["clients"]], "errors"], rows)
    base = next((c.get("quality") for c in corpora if c["target"] == 0), None) or {}
    out += [
        "## Quality at scale (Wagner suite)",
        "",
        "`evals.wagner.run(engine, 'all', None)` against each corpus; the difference is from "
        "the 3-source corpus in the same run.",
        "",
    ]
    rows = []
    for c in corpora:
        q = c.get("quality") or {}
        right, declines = q.get("answered_with_right_evidence"), q.get("correct_declines")
        rows.append([
            c["label"], _pct(right), _delta(right, base.get("answered_with_right_evidence")),
            _pct(declines), _delta(declines, base.get("correct_declines")),
            _n(q.get("invariant_breaks")),
            _n(len(q["false_answers"])) if "false_answers" in q else NA,
            "; ".join(f"{k} {v}" for k, v in (q.get("outcomes") or {}).items()) or NA,
        ])  # fmt: skip
    out += _table(
        ["corpus", "answered with right evidence", "Δ", "correct declines", "Δ",
         "invariant breaks", "must-decline answered", "failures: what was done instead"],
        rows,
    )  # fmt: skip
    out += _chroma_section(report)
    out += _retrieval_section(corpora)
    return "\n".join(out)


def _chroma_section(report: dict[str, Any]) -> list[str]:
    compared = report.get("chroma") or []
    if not compared:
        return []
    out = [
        "## Embedded Chroma vs a Chroma server",
        "",
        "The same collection in process (`PersistentClient`) and behind `chroma run` on "
        "loopback (`VERBATIM_CHROMA_HOST`). In-process timings alternate between two engines, "
        "and HTTP p50 between two API servers, question by question; requests/s is with 16 "
        "clients.",
        "",
    ]
    rows = []
    for c in compared:
        e, s = c["embedded"], c["server"]
        rows.append([
            c["label"], "embedded", _n(e.get("open_s"), 2), _n(_get(e, "stages", "total", "p50")),
            _n(_get(e, "stages", "search", "p50"), 2), _n(_get(e, "http_ms", "p50")),
            _n(e.get("rps")),
        ])  # fmt: skip
        rows.append([
            c["label"], "server, 1 API worker", _n(s.get("open_s"), 2),
            _n(_get(s, "stages", "total", "p50")), _n(_get(s, "stages", "search", "p50"), 2),
            _n(_get(s, "http_ms", "p50")), _n(s.get("rps")),
        ])  # fmt: skip
        r = c.get("ratios") or {}
        for key, threads in (("server_workers", ""), ("server_workers_1thread", ", 1 thread each")):
            w = c.get(key) or {}
            rows.append([
                c["label"], f"server, {w.get('workers', NA)} API workers{threads}", NA, NA, NA,
                NA, f"{_n(w.get('rps'))} ({_n(r.get(key.replace('server_', '') + '_rps'), 2, '×')}"
                " of 1 worker)",
            ])  # fmt: skip
        rows.append([
            c["label"], "**server / embedded**", _n(r.get("open_s"), 2, "×"),
            _n(r.get("in_process_p50"), 2, "×"), _n(r.get("search_p50"), 2, "×"),
            _n(r.get("http_p50"), 2, "×"), _n(r.get("rps"), 2, "×"),
        ])  # fmt: skip
    return out + _table(
        ["corpus", "mode", "engine open s", "in-process p50 ms", "search stage p50 ms",
         "HTTP p50 ms", "requests/s"],
        rows,
    )  # fmt: skip


def _retrieval_section(corpora: list[dict[str, Any]]) -> list[str]:
    measured = [c for c in corpora if c.get("retrieval")]
    if not measured:
        return []
    k = measured[0]["retrieval"]["k"]
    out = [
        f"## Our retrieval vs plain LangChain similarity search (k = {k})",
        "",
        "Hit: every expected evidence string of an answerable, stand-alone Wagner question is "
        f"in one of the top {k} passages. Ours: `VerbatimRetriever` (dense + BM25, reciprocal "
        f"rank fusion); plain: `Chroma.as_retriever(search_kwargs={{'k': {k}}})` on the same "
        "collection.",
        "",
    ]
    rows = []
    for c in measured:
        r = c["retrieval"]
        rows.append([
            c["label"], _n(r["questions"]), _pct(r["ours"]["hit_rate"]),
            _pct(r["plain"]["hit_rate"]), _n(r["hit_rate_ratio"], 2, "×"),
            _n(r["ours"]["ms"]["p50"], 2), _n(r["plain"]["ms"]["p50"], 2),
            _n(r["latency_ratio_p50"], 2, "×"),
        ])  # fmt: skip
    return out + _table(
        ["corpus", "questions", "hit rate ours", "plain", "ours / plain", "p50 ms ours",
         "plain", "ours / plain"],
        rows,
    )  # fmt: skip
