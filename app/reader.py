"""The reader: a small cross-encoder that reads a question with a candidate sentence (its source's
title and the words before it in its paragraph, so that "he said" and "it" can be resolved) and
says whether the sentence answers it. It decides which sentences are quoted and whether to decline.

It is the packaged MiniLM bi-encoder's transformer, fine-tuned as a classifier by
`evals/train_reader.py` on SQuAD 2.0's training questions and on the newsroom batches written for
this project (`evals/training/`); never on a measurement set. The word embeddings stayed frozen in
training, so `app/reader/reader-NN.safetensors` hold only what changed (the transformer layers and
the head, in half precision); the embeddings are read from the installed model package, whose
fingerprint must match the one trained against. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from app.config import quiet_third_parties
from app.embeddings import resolve_model_path
from app.nlp import parse
from app.passages import Passage
from app.question import refers_back

READER_DIR = Path(__file__).with_name("reader")
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


class ReaderUnavailable(RuntimeError):
    pass


def follow_up_query(question: str, history: list[tuple[str, str]]) -> str:
    """What the reader reads as the question. A question that points back ("What did he say
    about it?") is read with the conversation's last question, which names what it points to."""
    asked = [text for role, text in history if role == "user"]
    if asked and refers_back(parse(question)):
        return f"{question} ({asked[-1].strip()})"
    return question


CONTEXT_WORDS = 24


def preceding(passage: Passage) -> str:
    """The paragraph's words just before the sentence (what its pronouns may point back to)."""
    before = passage.paragraph[: max(0, passage.start - passage.para_start)].split()
    return " ".join(before[-CONTEXT_WORDS:])


def reader_text(sentence: str, title: str, context: str) -> str:
    """What the reader reads as the sentence: the sentence first (truncation cuts from the end),
    then its source's title and the words before it in its paragraph."""
    around = ". ".join(x for x in (title.rstrip(". "), context) if x)
    return f"{sentence} | {around}" if around else sentence


def embeddings_digest(tensor: object) -> str:
    """Identifies the word embeddings trained against, at half precision: the same for the
    package's full-precision weights and a half-precision copy of them."""
    import torch

    assert isinstance(tensor, torch.Tensor)
    return hashlib.sha256(tensor.to(torch.float16).numpy().tobytes()).hexdigest()[:16]


class Reads(Protocol):
    """Anything that scores (question, sentence) pairs as the reader does."""

    def score(self, query: str, passages: list[Passage], titles: list[str]) -> np.ndarray: ...


class Reader:
    """Scores (question, sentence) pairs; higher logits mean "this sentence answers it"."""

    def __init__(
        self, directory: Path = READER_DIR, device: str = "cpu", max_length: int | None = None
    ) -> None:
        quiet_third_parties()
        import torch
        from safetensors import safe_open
        from safetensors.torch import load_file
        from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

        meta_path, weights = (
            directory / "reader.json",
            sorted(directory.glob("reader-*.safetensors")),
        )
        if not meta_path.is_file() or not weights:
            raise ReaderUnavailable(f"no trained reader in {directory}")
        self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        base = resolve_model_path(str(self.meta["base_model"]))
        with safe_open(str(base / "model.safetensors"), "pt") as fh:
            word = fh.get_tensor(WORD_EMBEDDINGS)
        if embeddings_digest(word) != self.meta["embeddings_sha256"]:
            raise ReaderUnavailable(
                f"{base} is not the model the reader was trained against; "
                "reinstall it or retrain with evals/train_reader.py"
            )
        config = BertConfig.from_pretrained(
            str(base), num_hidden_layers=int(self.meta["layers"]), num_labels=1
        )
        model = BertForSequenceClassification(config)
        state = {
            k: v.to(torch.float32) for shard in weights for k, v in load_file(str(shard)).items()
        }
        state["bert." + WORD_EMBEDDINGS] = word.to(torch.float32)
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise ReaderUnavailable(f"reader weights do not fit: {missing or unexpected}")
        # In place, through torch's own typed methods (transformers' wrappers confuse mypy).
        torch.nn.Module.to(model, device)
        torch.nn.Module.train(model, False)
        self.model = model
        self.tokenizer = AutoTokenizer.from_pretrained(str(base))
        self.max_length = max_length or int(self.meta["max_length"])
        self.device = device
        # The answer threshold chosen with the reader on development data (evals/threshold.py).
        self.threshold = float(self.meta.get("threshold", 0.5))
        # A figure question's threshold, at least the other: a wrong figure costs more than a
        # missed one (evals/threshold.py).
        self.figure_threshold = max(
            self.threshold, float(self.meta.get("figure_threshold", self.threshold))
        )
        self._torch = torch
        self._lock = threading.Lock()

    def score(self, query: str, passages: list[Passage], titles: list[str]) -> np.ndarray:
        """One logit per passage: above zero, the reader believes the sentence answers."""
        if not passages:
            return np.zeros(0)
        texts = [
            reader_text(p.text, t, preceding(p)) for p, t in zip(passages, titles, strict=True)
        ]
        batch = self.tokenizer(
            [query] * len(texts),
            texts,
            truncation="longest_first",
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        ).to(self.device)
        with self._lock, self._torch.inference_mode():
            logits = self.model(**batch).logits[:, 0]
        return np.asarray(logits.float().cpu().numpy(), dtype=np.float64)
