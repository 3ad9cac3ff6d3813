# Both entry points create their own virtual environment on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint soak run venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Long property runs, soak and chaos runs.
soak: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m soak $(PYTEST_ARGS)

# Eno on this machine: the embedded API server and kubelet, both daemons, the getting-started example
# applied and Ready; then a live summary until Ctrl-C (kubeconfig in .eno/kubeconfig).
run: $(STAMP)
	$(BIN)/eno dev --example migration

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .eno
