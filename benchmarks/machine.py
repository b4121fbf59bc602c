"""What the numbers were measured on: the machine, the software, the commit and the settings."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from app.config import ROOT, Settings

PACKAGES = ("torch", "sentence-transformers", "chromadb", "langchain-chroma", "fastapi", "uvicorn")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
        return out.stdout.strip()
    except OSError:
        return ""


def load_average() -> list[float]:
    """Other work on the machine skews every number; the report shows how busy it was."""
    return [round(x, 2) for x in os.getloadavg()]


def describe_machine() -> dict[str, Any]:
    import torch

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "packages": {name: _version(name) for name in PACKAGES},
    }


def describe_commit() -> dict[str, Any]:
    # Uncommitted changes to tracked files make the commit alone not reproduce the numbers.
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {"commit": _git("rev-parse", "--short", "HEAD") or "unknown", "dirty": dirty}


def describe_settings(settings: Settings, threshold: float | None = None) -> dict[str, Any]:
    keep = ("embedding_model", "device", "dense_k", "lexical_k", "evidence_k", "max_quotes")
    out: dict[str, Any] = {k: getattr(settings, k) for k in keep}
    out["answer_threshold"] = threshold if threshold is not None else settings.answer_threshold
    return out
