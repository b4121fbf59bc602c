"""Draw the SQuAD 2.0 trade-off curve (grounded answers vs correct declines) as an SVG, no
plotting library needed. `verbatim eval squad2` writes it beside its results; `python -m
evals.plot` redraws it from `evals/results/squad2-test-latest.json`."""

from __future__ import annotations

import json
import sys

from app.config import ROOT

RESULTS = ROOT / "evals" / "results"

W, H, PAD = 560, 420, 50
COLOURS = {"all questions": "#1f5fa8", "figure questions": "#b3471d", "baseline": "#777777"}


def _xy(declined: float, grounded: float) -> tuple[float, float]:
    return PAD + declined * (W - 2 * PAD), H - PAD - grounded * (H - 2 * PAD)


def _polyline(points: list[dict[str, float]], colour: str, dashed: bool = False) -> str:
    coords = " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (_xy(p["declined"], p["grounded"]) for p in points)
    )
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{coords}"/>'


def svg(result: dict[str, object], baseline: list[dict[str, float]] | None = None) -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="black"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="black"/>',
        f'<text x="{W / 2}" y="{H - 12}" text-anchor="middle">share of unanswerable questions declined</text>',
        f'<text x="14" y="{H / 2}" transform="rotate(-90 14 {H / 2})" text-anchor="middle">share of answerable questions grounded</text>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, _ = _xy(tick, 0)
        _, y = _xy(0, tick)
        parts.append(f'<text x="{x}" y="{H - PAD + 16}" text-anchor="middle">{tick:.2f}</text>')
        parts.append(f'<text x="{PAD - 6}" y="{y + 4}" text-anchor="end">{tick:.2f}</text>')
    parts.append(_polyline(result["curve"], COLOURS["all questions"]))  # type: ignore[arg-type]
    parts.append(_polyline(result["curve_figure"], COLOURS["figure questions"]))  # type: ignore[arg-type]
    if baseline:
        parts.append(_polyline(baseline, COLOURS["baseline"], dashed=True))
    service = result.get("service_point")
    if isinstance(service, dict):
        x, y = _xy(service["declined"], service["grounded"])
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="black"/>')
        parts.append(f'<text x="{x + 8:.1f}" y="{y - 8:.1f}">service threshold</text>')
    for i, (name, colour) in enumerate(COLOURS.items()):
        if name == "baseline" and not baseline:
            continue
        parts.append(
            f'<text x="{W - PAD - 150}" y="{PAD + 16 * i}" fill="{colour}">— {name}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def main() -> None:
    path = RESULTS / "squad2-test-latest.json"
    if not path.exists():
        print(f"no {path}: run `verbatim eval squad2 --split test` first", file=sys.stderr)
        raise SystemExit(1)
    result = json.loads(path.read_text(encoding="utf-8"))
    out = RESULTS / "squad2-test-curve.svg"
    out.write_text(svg(result, result.get("baseline_curve")), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
