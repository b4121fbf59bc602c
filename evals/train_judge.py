"""Train the evidence judge on development data only: SQuAD 2.0's development split and the
Wagner suite's.

    python -m evals.train_judge            # writes app/judge_model.json

Two logistic models over the same cheap features (app/judge.py):
- the ranker, per eligible candidate sentence: does it contain a gold answer span?
- the gate, per question, on the ranker's best sentence: would quoting it ground the answer?
  (label: the question is answerable and that sentence contains a gold span.)
The ranker's probabilities that train the gate are cross-fitted by article, so the gate learns
from the ranker as it behaves on unseen text. Regularisation is chosen by cross-validation grouped
by article inside the development split; the service threshold is the lowest that declines at
least `DECLINE_TARGET` of the development split's unanswerable questions. The test split is never
read here.

The Wagner development questions also train both models (weighted, see WAGNER_WEIGHT), and the
service threshold is chosen on them (evals/wagner): they are the product's own questions, on a
corpus that reads nothing like SQuAD's adversarial paragraphs. The
SQuAD threshold that declines `DECLINE_TARGET` of its unanswerable questions is kept beside it as
`squad_threshold`, for users who want that operating point (VERBATIM_ANSWER_THRESHOLD).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from app.config import get_settings, quiet_third_parties
from app.engine import Engine
from app.judge import (
    FEATURES,
    GATE_FEATURES,
    MODEL_PATH,
    JudgeModel,
    best_eligible,
    gate_rows,
)
from app.passages import Passage
from app.reader import READER_DIR
from evals import squad2, wagner
from evals.metrics import auroc
from evals.reader_data import PAIRS, part_candidates
from evals.train_reader import load_pairs, pairs_digest

OOF = Path(__file__).with_name("reader-oof.npy")  # from evals/train_reader.py

DECLINE_TARGET = 0.75
# The Wagner development questions join the training data as one more "article", weighted so
# that about forty questions count against SQuAD's thousands.
WAGNER_GROUP = 100
WAGNER_WEIGHT = 10.0
CS = (0.01, 0.1, 1.0, 10.0)
SEED = 0


@dataclass
class Group:
    """One question's eligible candidates."""

    x: np.ndarray
    y: np.ndarray  # candidate contains a gold span (and the question is answerable)
    eligible: list[bool]
    reader: np.ndarray  # the reader's out-of-fold logit per candidate
    article: int
    answerable: bool
    weight: float = 1.0


class ReaderScores:
    """The reader's out-of-fold logits (evals/train_reader.py), by question part and sentence: a
    question's score comes from a reader that never saw its article."""

    def __init__(self, pairs: Path = PAIRS, oof: Path = OOF) -> None:
        logits = np.load(oof)
        rows = load_pairs(pairs)
        if len(rows) != len(logits):
            raise SystemExit(f"{oof} does not belong to {pairs}: rerun evals/train_reader.py")
        meta = json.loads((READER_DIR / "reader.json").read_text(encoding="utf-8"))
        if pairs_digest(pairs) != meta["pairs_sha256"]:
            print(f"warning: {pairs} differs from the pairs the reader was trained on")
        self.logits = {(r["g"], r["s"]): float(v) for r, v in zip(rows, logits, strict=True)}
        self.missing = 0

    def get(self, key: str, passages: list[Passage], engine: Engine, query: str) -> np.ndarray:
        out = [self.logits.get((key, p.text)) for p in passages]
        if any(v is None for v in out):
            # Retrieval changed since the pairs were written: the shipped reader fills in.
            self.missing += sum(v is None for v in out)
            live = engine.reader.score(query, passages)
            out = [v if v is not None else float(x) for v, x in zip(out, live, strict=True)]
        return np.asarray(out, dtype=np.float64)


def _group(
    engine: Engine,
    scores: ReaderScores,
    qid: str,
    question: str,
    history: list[tuple[str, str]],
    gold: tuple[str, ...],
    article: int,
    weight: float,
) -> Group:
    """One question's candidates as the engine sees them; a candidate is positive when it holds
    one of the gold strings (none for an unanswerable question)."""
    xs, ys, oks, reads = [], [], [], []
    k = engine.settings.evidence_k
    for part in part_candidates(engine, qid, question, history):
        passages = part.passages[:k]
        reads.extend(scores.get(part.key, passages, engine, part.query) if passages else [])
        for row, passage, ok in zip(part.x[:k], passages, part.eligible[:k], strict=True):
            xs.append(row)
            ys.append(any(g in passage.text for g in gold))
            oks.append(ok)
    return Group(
        x=np.asarray(xs).reshape(len(xs), len(FEATURES)),
        y=np.asarray(ys, dtype=bool),
        eligible=oks,
        reader=np.asarray(reads, dtype=np.float64),
        article=article,
        answerable=bool(gold),
        weight=weight,
    )


def collect(
    engine: Engine, scores: ReaderScores, questions: list[squad2.SquadQuestion]
) -> list[Group]:
    return [
        _group(
            engine,
            scores,
            q.id,
            q.question,
            [],
            () if q.impossible else q.answers,
            int(q.source_id[1:3]),
            1.0,
        )
        for q in questions
    ]


def collect_wagner(engine: Engine, scores: ReaderScores) -> list[Group]:
    """The Wagner development questions that reach the judge (not off-topic, not speculation)."""
    return [
        _group(
            engine,
            scores,
            case.id,
            case.question,
            [(m.role, m.content) for m in case.history],
            tuple(case.evidence) if case.expect == "answered" else (),
            WAGNER_GROUP,
            WAGNER_WEIGHT,
        )
        for case in wagner.load_cases()
        if case.split == "dev"
        and case.decline_reason not in ("out_of_scope", "speculation_requested")
    ]


def fit(x: np.ndarray, y: np.ndarray, c: float, w: np.ndarray | None = None) -> dict[str, object]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    model.fit((x - mean) / scale, y, sample_weight=w)
    return {
        "weights": [float(w) for w in model.coef_[0]],
        "bias": float(model.intercept_[0]),
        "mean": [float(v) for v in mean],
        "scale": [float(v) for v in scale],
    }


def predict(linear: dict[str, object], x: np.ndarray) -> np.ndarray:
    z = ((x - np.asarray(linear["mean"])) / np.asarray(linear["scale"])) @ np.asarray(
        linear["weights"]
    ) + float(linear["bias"])  # type: ignore[arg-type]
    return 1.0 / (1.0 + np.exp(-z))


def ranker_data(groups: list[Group]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kept = [g for g in groups if any(g.eligible)]
    masks = [np.asarray(g.eligible, dtype=bool) for g in kept]
    xs = [g.x[m] for g, m in zip(kept, masks, strict=True)]
    ys = [g.y[m] for g, m in zip(kept, masks, strict=True)]
    ws = [np.full(int(m.sum()), g.weight) for g, m in zip(kept, masks, strict=True)]
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)


def gate_data(
    groups: list[Group], ranker: dict[str, object]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """The ranker's top eligible candidate per question, with the reader's out-of-fold logit for
    it, as gate rows (questions without one: none)."""
    xs, ys, ws, which = [], [], [], []
    for n, g in enumerate(groups):
        probs = predict(ranker, g.x)
        top = best_eligible(probs, g.eligible)
        if top is None:
            continue
        rows = gate_rows(g.x, probs, g.eligible, float(g.reader[top]))
        xs.append(rows[top])
        ys.append(bool(g.y[top]))
        ws.append(g.weight)
        which.append(n)
    return np.asarray(xs), np.asarray(ys, dtype=bool), np.asarray(ws), which


def cross_fitted_scores(groups: list[Group], c_rank: float, c_gate: float) -> np.ndarray:
    """Every question's answerability score from models that never saw its article."""
    scores = np.zeros(len(groups))
    articles = sorted({g.article for g in groups})
    for held in articles:
        train = [g for g in groups if g.article != held]
        ranker = fit(*ranker_data(train)[:2], c_rank, ranker_data(train)[2])
        gx, gy, gw, _ = gate_data(train, ranker)
        gate = fit(gx, gy, c_gate, gw)
        test_idx = [i for i, g in enumerate(groups) if g.article == held]
        tx, _, _, which = gate_data([groups[i] for i in test_idx], ranker)
        if len(tx):
            for local, p in zip(which, predict(gate, tx), strict=True):
                scores[test_idx[local]] = p
    return scores


def wagner_threshold() -> float:
    """The threshold that gets the most Wagner development questions right (ties: the stricter)."""
    base = get_settings()
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(base.model_copy(update={"data_dir": Path(tmp)}))
        best_t, best_right = 0.5, -1
        for t in np.round(np.arange(0.02, 0.61, 0.02), 2):
            engine.threshold = float(t)
            right = sum(r.correct for r in wagner.run(engine, "dev", None))
            if right >= best_right:
                best_t, best_right = float(t), right
        print(f"Wagner development split: {best_right} right at threshold {best_t}")
        return best_t


def main() -> None:
    quiet_third_parties()
    scratch = Path(tempfile.mkdtemp(prefix="verbatim-train-"))
    settings, questions = squad2.settings_for(get_settings(), "dev")
    # Features do not depend on the model: engines with an untrained one collect them, so the
    # features can change before the model that reads them is retrained.
    engine = Engine(settings, judge_model=JudgeModel.untrained())
    reader_scores = ReaderScores()
    squad_groups = collect(engine, reader_scores, questions)
    wagner_groups = collect_wagner(
        Engine(
            get_settings().model_copy(update={"data_dir": scratch}),
            judge_model=JudgeModel.untrained(),
            reader=engine.reader,
        ),
        reader_scores,
    )
    if reader_scores.missing:
        print(f"{reader_scores.missing} candidates had no out-of-fold reader score")
    groups = squad_groups + wagner_groups
    labels = [g.answerable for g in squad_groups]
    print(f"{len(groups)} development questions, {sum(labels)} answerable")
    results = {}
    for c in CS:
        scores = cross_fitted_scores(groups, c, c)[: len(squad_groups)]
        results[c] = auroc(list(scores), labels)
        print(f"C={c}: article-grouped cross-validated answerability AUROC {results[c]:.4f}")
    best = max(results, key=lambda c: results[c])
    rx, ry, rw = ranker_data(groups)
    ranker = fit(rx, ry, best, rw)
    gx, gy, gw, _ = gate_data(groups, ranker)
    gate = fit(gx, gy, best, gw)
    # Threshold from cross-fitted scores: what the service will see on text it was not fit to.
    scores = cross_fitted_scores(groups, best, best)[: len(squad_groups)]
    impossible = np.sort(scores[~np.asarray(labels)])
    threshold = float(impossible[int(np.ceil(DECLINE_TARGET * len(impossible))) - 1]) + 1e-6
    payload: dict[str, object] = {
        "features": list(FEATURES),
        "gate_features": list(GATE_FEATURES),
        "ranker": ranker,
        "gate": gate,
        "threshold": round(threshold, 6),
        "squad_threshold": round(threshold, 6),
        "trained_on": "SQuAD 2.0 public dev half, development split (first 8 articles)",
        "c": best,
        "cv_auroc": round(results[best], 4),
        "decline_target": DECLINE_TARGET,
    }
    MODEL_PATH.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    payload["threshold"] = wagner_threshold()
    MODEL_PATH.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH} (C={best}, threshold {payload['threshold']})")
    for name, w in zip(GATE_FEATURES, gate["weights"], strict=True):  # type: ignore[arg-type]
        print(f"  gate {name:24s} {w:+.3f}")


if __name__ == "__main__":
    main()
