"""newsroom-dev: two newsroom batches (`evals/training/newsroom/b46`, `b47`) held out of training,
the development set for the rules. Written by the project's helpers from the committed prompt
(`evals/training/PROMPT.md`), so it measures nothing about generalisation to other writers: that
is newsdesk-dev's job. What it is for: a rule or a refinement is tried here first, on six
invented events nobody tuned anything on, before the measurement sets say what it is worth.

    python -m evals.newsroom_dev

Each batch's twelve reports are loaded as one corpus (three unrelated events side by side) and
its questions asked through the engine; scored as newsdesk-dev is (`evals/newsdesk.py`): an
answer item passes when a quote it relies on holds one of its evidence strings (every one, for an
item marked `all`), a decline item when it is declined with its reason. Results are written to
`evals/results/newsroom-dev-latest.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.config import ROOT, Settings, get_settings
from app.engine import Engine
from evals import newsdesk
from evals.metrics import Record
from evals.training.pairs import DEVELOPMENT_BATCHES

BATCHES = DEVELOPMENT_BATCHES
NEWSROOM = ROOT / "evals" / "training" / "newsroom"
CACHE = ROOT / "evals" / "cache" / "newsroom-dev"


def as_newsdesk_item(item: dict[str, Any]) -> dict[str, Any]:
    """A batch item in newsdesk-dev's shape, so that both are scored by one function."""
    out = {k: item[k] for k in ("id", "cat", "expect", "question")}
    if "history" in item:
        out["history"] = item["history"]
    if item["expect"] == "answer":
        out["must_quote_all" if item.get("all") else "must_quote_any"] = item["evidence"]
    else:
        out["reasons"] = [item["reason"]]
    return out


def load_items(batch: str) -> list[dict[str, Any]]:
    lines = (NEWSROOM / batch / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [as_newsdesk_item(json.loads(line)) for line in lines if line.strip()]


def settings_for(base: Settings, batch: str) -> Settings:
    return base.model_copy(
        update={"corpus_dir": NEWSROOM / batch / "corpus", "data_dir": CACHE / batch / "data"}
    )


def run_batch(engine: Engine, items: list[dict[str, Any]]) -> list[Record]:
    return newsdesk.run(engine, items=items)


def engines(base: Settings) -> dict[str, Engine]:
    return {batch: Engine(settings_for(base, batch)) for batch in BATCHES}


def run(built: dict[str, Engine]) -> list[Record]:
    return [r for batch, e in built.items() for r in run_batch(e, load_items(batch))]


def main() -> None:
    from evals.runner import _commit

    base = get_settings()
    built = engines(base)
    summary = newsdesk.summary(run(built))
    summary.pop("failures")
    out = {"commit": _commit(), "threshold": next(iter(built.values())).threshold, **summary}
    path: Path = ROOT / "evals" / "results" / "newsroom-dev-latest.json"
    path.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "by_category"}, indent=2))


if __name__ == "__main__":
    main()
