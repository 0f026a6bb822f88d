# The two set-up commands of the README: `make quickstart` (the main job) and `make test`.
# Each one creates .venv and installs everything on first use; later calls reuse it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.toolzero-installed
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: install quickstart test lint bench clean

$(STAMP): pyproject.toml Makefile constraints/cpu.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: any other version pulls a multi-gigabyte CUDA build.
	# constraints/cpu.txt holds the CPU path's exact versions; pyproject.toml the ranges.
	$(BIN)/python -m pip install -q -c constraints/cpu.txt torch
	$(BIN)/python -m pip install -q -c constraints/cpu.txt -e '.[dev]'
	# BFCL's data and official checkers, without the provider SDKs it pins.
	$(BIN)/python -m pip install -q --no-deps bfcl-eval==2026.3.23
	touch $(STAMP)

install: $(STAMP)

quickstart: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/toolzero quickstart

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/reward_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
