# The README's commands. Every target installs what it needs first (`make setup`, idempotent).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test eval bench lint clean

# Debian's chromium runs the browser tests (Playwright drives it; it never downloads a browser).
setup: $(STAMP)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# torch first and pinned: the CPU build of 2.13.0 installs from local wheels; an unpinned torch,
# pulled in by sentence-transformers, would fetch a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: setup
	$(BIN)/verbatim serve --host 127.0.0.1 --port 8000

test: setup
	$(BIN)/python -m pytest

# The measurement sets side by side: newsdesk-dev, the Wagner suite (both splits), SQuAD 2.0's
# test split; results with date, commit and settings in evals/results/.
eval: setup
	$(BIN)/verbatim eval newsdesk --ragas
	$(BIN)/verbatim eval wagner --ragas
	$(BIN)/verbatim eval squad2 --split test --ragas

bench: setup
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.soak --clients 16 --seconds 60

lint: setup
	$(BIN)/ruff check app evals tests
	$(BIN)/mypy

clean:
	rm -rf data evals/cache
