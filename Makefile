# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint test-slow fuzz bench schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reliefplan plan examples/rafah-2024 --scenario targeted --out out/rafah-2024/targeted
	$(BIN)/reliefplan plan examples/rafah-2024 --scenario full --out out/rafah-2024/full
	$(BIN)/reliefplan compare out/rafah-2024/targeted/plan.json out/rafah-2024/full/plan.json --out out/rafah-2024/compare
	$(BIN)/reliefplan assess examples/rafah-2024 --scenarios targeted,full --packages none,observed-apr-2024,observed-jun-2024,tent-cities-2024 --out out/rafah-2024/assess
	$(BIN)/reliefplan assess examples/rafah-2024 --scenarios targeted --packages jun-2024-chain,jun-2024-pier,jun-2024-airdrops,jun-2024-more-trucks,jun-2024-fuel --out out/rafah-2024/assess-delivery
	$(BIN)/reliefplan ensemble examples/rafah-2024 --scenario full --runs 20 --seed 1 --out out/rafah-2024/ensemble-full

# Lint and types first (seconds; mypy's cache lives in .mypy_cache), then the fast suite.
test: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2

# The habits on their own: ruff's lint rules, the layer contract ([tool.importlinter]) and mypy ([tool.mypy]).
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The slow tests (end-to-end on the Rafah example; ~2 min); CI runs them after `make test`.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# >= 2,000 mutated scenarios planned one by one (20-40 min on 2 shared cores); counts in out/fuzz/report.json
FUZZ_CASES ?= 2000
fuzz: $(STAMP)
	RELIEFPLAN_FUZZ_CASES=$(FUZZ_CASES) RELIEFPLAN_FUZZ_REPORT=out/fuzz/report.json \
	  $(BIN)/python -m pytest -q -p no:randomly tests/test_fuzz.py

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

schema: $(STAMP)
	$(BIN)/reliefplan schema --out schemas/plan.schema.json
	$(BIN)/reliefplan schema --of assessment --out schemas/assessment.schema.json

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
