# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out/demo

.PHONY: venv demo lint test perf backtests lint-imports clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: venv
	$(BIN)/indexer demo --out $(OUT)

# Style, docstrings (numpy convention, indexer/ only) and types; settings in pyproject.toml.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

test: venv lint
	bash tests/setup_env.sh
	$(BIN)/python -m pytest -q

perf: venv
	$(BIN)/python -m pytest tests/perf --benchmark-enable -q

# Regenerate every standard backtest report and the README comparison table.
backtests: venv
	$(BIN)/python -m backtests.run_all --readme README.md

lint-imports: venv
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) out .pytest_cache .benchmarks .mypy_cache .ruff_cache
