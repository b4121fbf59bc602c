"""Latency summaries in milliseconds, one shape for every table in the report."""

from __future__ import annotations

import numpy as np


def ms(values_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean of durations given in seconds, in milliseconds, rounded for reading."""
    if not values_s:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0}
    arr = np.asarray(values_s, dtype=np.float64) * 1000.0
    return {
        "n": int(arr.size),
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "p99": round(float(np.percentile(arr, 99)), 2),
        "mean": round(float(arr.mean()), 2),
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None
