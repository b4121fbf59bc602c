"""What each remaining rule gains and costs, on the measurement sets.

    python -m evals.ablation [--squad-every 4]

Runs newsdesk-dev, the Wagner suite (test split) and every Nth question of SQuAD 2.0's test split
with all the rules, then with each rule switched off in turn (the rest unchanged), and writes
`evals/results/ablation-latest.json`. A rule earns its place when switching it off costs more
correct answers or declines than it gains. Nothing is tuned here: the figures are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from app import engine as engine_module
from app import question, scope
from app.config import ROOT, get_settings
from app.engine import Engine
from evals import newsdesk, squad2, wagner
from evals.runner import _commit

RESULTS = ROOT / "evals" / "results"


@contextlib.contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _without(name: str) -> dict[str, scope.Check]:
    return {k: v for k, v in scope.CHECKS.items() if k != name}


_scoped = question.scoped


def _all_required(doc: Any) -> tuple[question.Names, tuple[question.Names, ...]]:
    required, either = _scoped(doc)
    return tuple(dict.fromkeys([*required, *(n for group in either for n in group)])), ()


VARIANTS: dict[str, list[tuple[Any, str, Any]]] = {
    "all rules": [],
    **{f"without the {name} check": [(scope, "CHECKS", _without(name))] for name in scope.CHECKS},
    "without the off-topic check": [(engine_module, "off_topic", lambda *a: False)],
    # Coordinated names ("Haldor or Brennmark") each required of every sentence, as before.
    "named scope requiring every coordinated name": [(question, "scoped", _all_required)],
    # Answers that take two sentences (app/engine.py, Engine.bridge), switched off.
    "without the bridge": [(engine_module.Engine, "bridge", lambda *a: [])],
}
# Evidence keeps its word sets for the process: emptied between variants, so each variant's
# checks see its own.
_CACHED = ("sentence", "context", "topic", "states_figure")


def measure(engines: dict[str, Engine], squad_qs: list[squad2.SquadQuestion]) -> dict[str, Any]:
    desk = newsdesk.summary(newsdesk.run(engines["newsdesk"]))
    records = [r for r in wagner.run(engines["wagner"], "test", None) if r.extra["split"] == "test"]
    wag = wagner.summary(records)
    sq = squad2.summary(squad2.run(engines["squad"], squad_qs)[0])
    return {
        "newsdesk_answered_right": desk["answered_with_right_evidence"],
        "newsdesk_declined_right": desk["correct_declines"],
        "newsdesk_must_decline_answered_with_a_figure": desk["must_decline_answered_with_a_figure"],
        "wagner_test_answered_right": wag["answered_with_right_evidence"],
        "wagner_test_declined_right": wag["correct_declines"],
        "squad_test_sample_grounded": sq["grounded_answer_rate"],
        "squad_test_sample_declined_right": sq["correct_decline_rate"],
        "squad_test_sample_auroc": sq["answerability_auroc"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad-every", type=int, default=4)
    args = ap.parse_args()
    base = get_settings()
    squad_settings, questions = squad2.settings_for(base, "test")
    engines = {
        "newsdesk": Engine(newsdesk.settings_for(base)),
        "wagner": Engine(base),
        "squad": Engine(squad_settings),
    }
    sample = questions[:: args.squad_every]
    out: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "command": f"python -m evals.ablation --squad-every {args.squad_every}",
        "squad_test_sample": len(sample),
        "threshold": engines["wagner"].threshold,
        "variants": {},
    }
    for name, patches in VARIANTS.items():
        for method in _CACHED:
            getattr(scope.Evidence, method).cache_clear()
        with contextlib.ExitStack() as stack:
            for obj, attr, value in patches:
                stack.enter_context(_patched(obj, attr, value))
            out["variants"][name] = measure(engines, sample)
        print(name, json.dumps(out["variants"][name]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ablation-latest.json").write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
