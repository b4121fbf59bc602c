"""`verbatim eval [wagner|squad2|newsdesk|all]`: run a suite, print its metrics, write results with the
date, the commit and the settings to `evals/results/`."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from app.config import ROOT, Settings
from app.engine import Engine
from evals import newsdesk, squad2, wagner
from evals.metrics import Record, percentile
from evals.plot import RESULTS, svg


def _git(*args: str) -> str:
    """git's answer about the project's own checkout (not a repository a hook set in GIT_DIR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    out = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5, env=env, check=True
    )
    return out.stdout.strip()


def _commit() -> str:
    """The commit measured; "+changes" when tracked files other than the results and the prose
    (Markdown) differ from it: weights or code not yet committed. A figure never names a commit it
    was not made with."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        changed = _git(
            "status", "--porcelain", "--untracked-files=no", "--", ".", ":!evals/results", ":!*.md"
        )
    except (OSError, subprocess.SubprocessError):  # no git, no repository, no commit yet
        return "unknown"
    return f"{head}+changes" if changed else head


def _write(name: str, payload: dict[str, Any], records: list[Record], ragas: bool) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    base = RESULTS / f"{name}-{stamp}"
    (RESULTS / f"{name}-latest.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    base.with_suffix(".json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    if ragas:
        lines = "\n".join(json.dumps(r.ragas(), ensure_ascii=False) for r in records)
        base.with_suffix(".ragas.jsonl").write_text(lines + "\n", encoding="utf-8")
    return base.with_suffix(".json")


def _meta(engine: Engine, settings: Settings, split: str) -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "split": split,
        "corpus_version": engine.corpus_version,
        "settings": {
            "embedding_model": settings.embedding_model,
            "dense_k": settings.dense_k,
            "lexical_k": settings.lexical_k,
            "evidence_k": settings.evidence_k,
            "read_k": settings.read_k,
            "read_more": settings.read_more,
            "threshold": engine.threshold,
        },
    }


def run_wagner(settings: Settings, split: str, limit: int | None, ragas: bool) -> dict[str, Any]:
    engine = Engine(settings)
    records = wagner.run(engine, split, limit)
    lat = [r.latency * 1000 for r in records]
    result: dict[str, Any] = {**_meta(engine, settings, split)}
    for name in ("dev", "test"):
        part = [r for r in records if r.extra["split"] == name]
        if part:
            result[name] = wagner.summary(part)
    result["all"] = wagner.summary(records)
    result["latency_ms_p50"] = round(percentile(lat, 50), 2)
    result["latency_ms_p95"] = round(percentile(lat, 95), 2)
    path = _write(f"wagner-{split}", result, records, ragas)
    result["written_to"] = str(path.relative_to(ROOT))
    return result


def run_squad(settings: Settings, split: str, limit: int | None, ragas: bool) -> dict[str, Any]:
    squad_settings, questions = squad2.settings_for(settings, split)
    engine = Engine(squad_settings)
    records, _ = squad2.run(engine, questions[:limit])
    result = {**_meta(engine, squad_settings, split), **squad2.summary(records)}
    result["service_point"] = {
        "declined": result["correct_decline_rate"],
        "grounded": result["grounded_answer_rate"],
    }
    result["curve"] = squad2.thin(squad2.curve(records))
    result["curve_figure"] = squad2.thin(squad2.curve(records, figure_only=True))
    result["baseline_curve"] = squad2.thin(squad2.curve(records, system="baseline_"))
    path = _write(f"squad2-{split}", result, records, ragas)
    plot = RESULTS / f"squad2-{split}-curve.svg"
    plot.write_text(svg(result, result["baseline_curve"]), encoding="utf-8")
    result["written_to"] = str(path.relative_to(ROOT))
    result["plot"] = str(plot.relative_to(ROOT))
    return result


def run_newsdesk(settings: Settings, limit: int | None, ragas: bool) -> dict[str, Any]:
    newsdesk.check_paths()
    desk_settings = newsdesk.settings_for(settings)
    engine = Engine(desk_settings)
    records = newsdesk.run(engine, limit)
    result = {**_meta(engine, desk_settings, "all"), **newsdesk.summary(records)}
    path = _write("newsdesk-dev", result, records, ragas)
    result["written_to"] = str(path.relative_to(ROOT))
    return result


def _print(name: str, result: dict[str, Any]) -> None:
    shown = {k: v for k, v in result.items() if "curve" not in k}
    print(f"== {name}")
    print(json.dumps(shown, indent=2))


def run_suite(
    settings: Settings, suite: str, split: str | None, limit: int | None, ragas: bool
) -> int:
    if suite not in ("wagner", "squad2", "newsdesk", "all"):
        print(f"verbatim: unknown suite {suite!r}: wagner, squad2, newsdesk or all")
        return 2
    if split not in (None, "dev", "test", "all"):
        print(f"verbatim: unknown split {split!r}: dev, test or all")
        return 2
    if suite in ("wagner", "all"):
        _print("wagner", run_wagner(settings, split or "all", limit, ragas))
    if suite in ("newsdesk", "all"):
        _print("newsdesk-dev", run_newsdesk(settings, limit, ragas))
    if suite in ("squad2", "all"):
        if split == "all":
            print("verbatim: the squad2 suite runs one split at a time: dev or test")
            return 2
        _print(f"squad2 {split or 'test'}", run_squad(settings, split or "test", limit, ragas))
    return 0
