"""Check the written training data under evals/training/newsroom/ (stdlib only).

    python3 evals/training/check_newsroom.py [BATCH_DIR ...]

Each batch directory holds `corpus/*.md` (front matter between `---` lines, then the body) and
`questions.jsonl`. Every `evidence`, `answer` and `related` string must be an exact substring of
one report body (the same body for an `answer` and the `evidence` string that contains it); ids
unique; categories and reasons from the lists below. Exits 1 and names each problem otherwise.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).with_name("newsroom")
ANSWER_CATS = {
    "figure-paraphrase",
    "fact",
    "fact-paraphrase",
    "multi-source",
    "followup",
    "speaker",
    "keyword",
    "bridge",
    "comparison",
    "attributed-figure",
    "conflict",
}
DECLINE_CATS = {
    "near-miss-place",
    "near-miss-time",
    "near-miss-group",
    "near-miss-source",
    "absent-figure",
    "false-premise",
    "speculation",
    "out-of-scope",
    "followup-absent",
    "unrelated-detail",
}
REASONS = {"figure_not_in_corpus", "no_evidence", "out_of_scope", "speculation_requested"}


def body_of(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    if raw.startswith("---\n"):
        end = raw.index("\n---\n", 4)
        return raw[end + 5 :]
    return raw


def check(batch: Path) -> list[str]:
    problems: list[str] = []
    bodies = {p.name: body_of(p) for p in sorted((batch / "corpus").glob("*.md"))}
    if len(bodies) < 3:
        problems.append(f"{batch}: fewer than 3 reports")
    ids: Counter[str] = Counter()
    lines = (batch / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{batch.name}/questions.jsonl:{n}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        ids[q.get("id", "")] += 1
        if not str(q.get("question", "")).strip():
            problems.append(f"{where}: no question")
        for turn in q.get("history", []):
            if turn.get("role") not in ("user", "assistant") or not turn.get("content"):
                problems.append(f"{where}: bad history turn {turn}")
        expect = q.get("expect")
        if expect == "answer":
            if q.get("cat") not in ANSWER_CATS:
                problems.append(f"{where}: cat {q.get('cat')!r} is not an answer category")
            evidence = q.get("evidence") or []
            if not evidence:
                problems.append(f"{where}: answer item without evidence")
            for s in evidence:
                if not any(s in b for b in bodies.values()):
                    problems.append(f"{where}: evidence not verbatim: {s!r}")
                if "\n" in s:
                    problems.append(f"{where}: evidence spans a line break: {s!r}")
            answer = q.get("answer")
            if not answer or not any(answer in s for s in evidence):
                problems.append(f"{where}: answer {answer!r} is not inside an evidence string")
        elif expect == "decline":
            if q.get("cat") not in DECLINE_CATS:
                problems.append(f"{where}: cat {q.get('cat')!r} is not a decline category")
            if q.get("reason") not in REASONS:
                problems.append(f"{where}: reason {q.get('reason')!r}")
            for s in q.get("related", []):
                if not any(s in b for b in bodies.values()):
                    problems.append(f"{where}: related not verbatim: {s!r}")
        else:
            problems.append(f"{where}: expect must be answer or decline")
    problems += [f"{batch.name}: duplicate id {i!r}" for i, c in ids.items() if c > 1]
    return problems


def main(argv: list[str]) -> int:
    batches = [Path(a) for a in argv] or sorted(p for p in ROOT.iterdir() if p.is_dir())
    problems = [p for b in batches for p in check(b)]
    for p in problems:
        print(p)
    total = sum(
        1
        for b in batches
        for line in (b / "questions.jsonl").read_text().splitlines()
        if line.strip()
    )
    print(f"{len(batches)} batches, {total} questions, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
