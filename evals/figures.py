"""The figures in README.md and docs/*.md, generated from the results files.

    python -m evals.figures          # rewrite every figures block from the results files
    python -m evals.figures --check  # exit 1 and name each block that differs

A block is the text between `<!-- figures: NAME -->` and `<!-- /figures -->`; NAME is one of
`BLOCKS`, each rendered from `evals/results/*-latest.json` or `benchmarks/results/bench-latest.json`.
tests/test_docs.py fails when a committed document's block differs from its rendering, so the
documents cannot drift from the measurements.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.config import ROOT

EVALS = ROOT / "evals" / "results"
BENCH = ROOT / "benchmarks" / "results" / "bench-latest.json"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"(<!-- figures: ([\w-]+) -->\n)(.*?)(<!-- /figures -->)", re.S)


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _source(path: Path, data: dict[str, Any]) -> str:
    return f"`{path.relative_to(ROOT)}` ({data['date'][:10]}, commit `{data['commit']}`)"


def quality() -> str:
    desk = _load(EVALS / "newsdesk-dev-latest.json")
    wag = _load(EVALS / "wagner-all-latest.json")
    sq = _load(EVALS / "squad2-test-latest.json")
    rows = [
        "| measurement set (written apart from the system) | answered with the right evidence | correctly declined | other |",
        "|---|---|---|---|",
        f"| newsdesk-dev, 110 questions on an invented corpus | {_pct(desk['answered_with_right_evidence'])} "
        f"| {_pct(desk['correct_declines'])} | must-decline answered with a figure: "
        f"{desk['must_decline_answered_with_a_figure']}; invariant breaks: {desk['invariant_breaks']} |",
        f"| Wagner suite, test split | {_pct(wag['test']['answered_with_right_evidence'])} "
        f"| {_pct(wag['test']['correct_declines'])} | invariant breaks: {wag['test']['invariant_breaks']} |",
        f"| Wagner suite, development split | {_pct(wag['dev']['answered_with_right_evidence'])} "
        f"| {_pct(wag['dev']['correct_declines'])} | invariant breaks: {wag['dev']['invariant_breaks']} |",
        f"| SQuAD 2.0 dev half, test split ({sq['questions']} questions) "
        f"| {_pct(sq['grounded_answer_rate'])} | {_pct(sq['correct_decline_rate'])} "
        f"| answerability AUROC {sq['answerability_auroc']:.3f}; grounded at 75% declines "
        f"{_pct(sq['grounded_at_75pct_declines'])}; retrieval hit@5 {_pct(sq['hit_at_5'])} |",
        "",
        "From "
        + ", ".join(
            _source(p, d)
            for p, d in (
                (EVALS / "newsdesk-dev-latest.json", desk),
                (EVALS / "wagner-all-latest.json", wag),
                (EVALS / "squad2-test-latest.json", sq),
            )
        )
        + "; `make eval` reproduces them.",
    ]
    return "\n".join(rows) + "\n"


def speed() -> str:
    b = _load(BENCH)
    rows = [
        "| corpus | passages | HTTP p50 | HTTP p95 | one query embedding p50 | HTTP / embedding | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in b["corpora"]:
        h = c["http"]
        rows.append(
            f"| {c['label']} | {c['passages']:,} | {h['http_ms']['p50']:.1f} ms | "
            f"{h['http_ms']['p95']:.1f} ms | {h['query_embed_ms']['p50']:.1f} ms | "
            f"{h['http_over_embed_p50']:.2f}x | {h['errors']} |"
        )
    commit = b["commit"]["commit"] if isinstance(b["commit"], dict) else b["commit"]
    rows += [
        "",
        f"From `benchmarks/results/bench-latest.json` ({b['date'][:10]}, commit `{commit}`, "
        f"{b['machine']['cores']} cores); `{b['bench']['command']}` reproduces it"
        + (" (quick: small request counts)." if b["bench"].get("quick") else "."),
    ]
    return "\n".join(rows) + "\n"


def ablation() -> str:
    path = EVALS / "ablation-latest.json"
    a = _load(path)
    keys = [
        ("newsdesk_answered_right", "newsdesk answered right", True),
        ("newsdesk_declined_right", "newsdesk declined right", True),
        (
            "newsdesk_must_decline_answered_with_a_figure",
            "newsdesk figures for another scope",
            False,
        ),
        ("wagner_test_answered_right", "Wagner test answered right", True),
        ("wagner_test_declined_right", "Wagner test declined right", True),
        ("squad_test_sample_grounded", "SQuAD test grounded", True),
        ("squad_test_sample_declined_right", "SQuAD test declined right", True),
        ("squad_test_sample_auroc", "SQuAD test AUROC", False),
    ]
    rows = [
        "| variant | " + " | ".join(label for _, label, _ in keys) + " |",
        "|---" * (len(keys) + 1) + "|",
    ]
    for name, v in a["variants"].items():
        cells = [
            _pct(v[k]) if pct else (f"{v[k]:.3f}" if isinstance(v[k], float) else str(v[k]))
            for k, _, pct in keys
        ]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    rows += [
        "",
        f"From `evals/results/ablation-latest.json` ({a['date'][:10]}, commit `{a['commit']}`, "
        f"threshold {a['threshold']}, SQuAD test sample of {a['squad_test_sample']} questions); "
        f"`{a['command']}` reproduces it.",
    ]
    return "\n".join(rows) + "\n"


def reader_gain() -> str:
    """What the reader buys: the engine beside the top-1 cosine baseline measured in the same run
    (the embedding model's best cosine as the answerability score, its sentence as the answer)."""
    path = EVALS / "squad2-test-latest.json"
    sq = _load(path)
    rows = [
        "| SQuAD 2.0 dev half, test split | answerability AUROC | grounded at 75% declines "
        "| grounded at 70% declines | figure questions grounded at 85% declines |",
        "|---|---|---|---|---|",
    ]
    for label, pre, auroc in (
        ("the reader (the engine)", "", "answerability_auroc"),
        ("top-1 cosine (MiniLM)", "baseline_", "baseline_auroc"),
    ):
        rows.append(
            f"| {label} | {sq[auroc]:.3f} "
            f"| {_pct(sq[pre + 'grounded_at_75pct_declines'])} "
            f"| {_pct(sq[pre + 'grounded_at_70pct_declines'])} "
            f"| {_pct(sq[pre + 'figure_grounded_at_85pct_declines'])} |"
        )
    rows += ["", f"From {_source(path, sq)}; `make eval` reproduces it."]
    return "\n".join(rows) + "\n"


BLOCKS: dict[str, Callable[[], str]] = {
    "quality": quality,
    "speed": speed,
    "ablation": ablation,
    "reader-gain": reader_gain,
}


def rendered(text: str) -> str:
    return _BLOCK.sub(lambda m: m.group(1) + BLOCKS[m.group(2)]() + m.group(4), text)


def stale(paths: list[Path] = DOCUMENTS) -> list[str]:
    out = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for m in _BLOCK.finditer(text):
            if m.group(2) not in BLOCKS:
                out.append(f"{path.name}: unknown figures block {m.group(2)!r}")
            elif m.group(3) != BLOCKS[m.group(2)]():
                out.append(f"{path.name}: figures block {m.group(2)!r} differs from the results")
    return out


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = stale()
        for p in problems:
            print(p)
        return 1 if problems else 0
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        new = rendered(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
