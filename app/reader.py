"""The reader: a small cross-encoder that reads a question and a candidate sentence together and
says whether the sentence answers it.

It is the packaged MiniLM bi-encoder's transformer, fine-tuned as a classifier by
`evals/train_reader.py` on development data only (SQuAD 2.0's development split, the Wagner
suite's, swapped-entity rewrites of their questions, and questions made from the development
articles' sentences). The word embeddings stayed frozen in
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
from app.passages import Passage
from app.question import Part, Question

READER_DIR = Path(__file__).with_name("reader")
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


class ReaderUnavailable(RuntimeError):
    pass


def reader_query(q: Question, part: Part) -> str:
    """What the reader reads as the question: the part, with what its pronouns stand for."""
    return f"{part.text} ({q.search_text})" if q.context_terms else part.text


CONTEXT_WORDS = 30


def preceding(passage: Passage) -> str:
    """The paragraph's words just before the sentence (what its pronouns may point back to)."""
    before = passage.paragraph[: max(0, passage.start - passage.para_start)].split()
    return " ".join(before[-CONTEXT_WORDS:])


def reader_text(sentence: str, context: str, with_context: bool) -> str:
    """What the reader reads as the sentence: the sentence, after its preceding words when the
    reader was trained with them."""
    return f"{context} | {sentence}" if with_context and context else sentence


def embeddings_digest(tensor: object) -> str:
    """Identifies the word embeddings trained against, at half precision: the same for the
    package's full-precision weights and a half-precision copy of them."""
    import torch

    assert isinstance(tensor, torch.Tensor)
    return hashlib.sha256(tensor.to(torch.float16).numpy().tobytes()).hexdigest()[:16]


class Reads(Protocol):
    """Anything that scores (question, sentence) pairs as the reader does."""

    def score(self, query: str, passages: list[Passage]) -> np.ndarray: ...


class Reader:
    """Scores (question, sentence) pairs; higher logits mean "this sentence answers it"."""

    def __init__(self, directory: Path = READER_DIR, device: str = "cpu") -> None:
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
        self.max_length = int(self.meta["max_length"])
        self.with_context = bool(self.meta.get("context", False))
        self.device = device
        self._torch = torch
        self._lock = threading.Lock()

    def score(self, query: str, passages: list[Passage]) -> np.ndarray:
        if not passages:
            return np.zeros(0)
        texts = [
            reader_text(p.text, preceding(p), True) if self.with_context else p.text
            for p in passages
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
