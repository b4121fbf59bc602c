"""Structured logs with a request id, and counters exposed in Prometheus text format.

Question text stays out of the logs unless `VERBATIM_LOG_QUESTIONS` turns it on: researchers'
questions can be sensitive.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any extras."""

    _skip = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        payload.update({k: v for k, v in record.__dict__.items() if k not in self._skip})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class Metrics:
    """Process-wide counters; cheap enough to touch on every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self._latency_sum = 0.0
        self._latency_count = 0
        self.started = time.time()

    def inc(self, name: str, **labels: str) -> None:
        with self._lock:
            self._counts[(name, tuple(sorted(labels.items())))] += 1

    def observe_latency(self, seconds: float) -> None:
        with self._lock:
            self._latency_sum += seconds
            self._latency_count += 1

    def value(self, name: str, **labels: str) -> int:
        with self._lock:
            return self._counts[(name, tuple(sorted(labels.items())))]

    def render(self) -> str:
        helps = {
            "verbatim_requests_total": "HTTP requests by route and status.",
            "verbatim_answers_total": "Questions answered.",
            "verbatim_declines_total": "Questions declined, by reason.",
            "verbatim_verifier_rejections_total": "Answers the verifier stopped.",
            "verbatim_errors_total": "Requests that ended in a server error.",
        }
        lines: list[str] = []
        with self._lock:
            counts = dict(self._counts)
            latency = (self._latency_sum, self._latency_count)
        for name, text in helps.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} counter"]
            samples = [(labels, v) for (n, labels), v in counts.items() if n == name]
            if not samples and name != "verbatim_requests_total":
                lines.append(f"{name} 0")
            for labels, v in sorted(samples):
                rendered = ",".join(f'{k}="{_escape(val)}"' for k, val in labels)
                lines.append(f"{name}{{{rendered}}} {v}" if rendered else f"{name} {v}")
        lines += [
            "# HELP verbatim_ask_seconds Time to answer a question.",
            "# TYPE verbatim_ask_seconds summary",
            f"verbatim_ask_seconds_sum {latency[0]:.6f}",
            f"verbatim_ask_seconds_count {latency[1]}",
            "# HELP verbatim_uptime_seconds Seconds since the process started.",
            "# TYPE verbatim_uptime_seconds gauge",
            f"verbatim_uptime_seconds {time.time() - self.started:.1f}",
        ]
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
