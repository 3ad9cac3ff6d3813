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

# For now: the embedded API server in the foreground, with a kubeconfig for kubectl.
run: $(STAMP)
	$(BIN)/eno apiserver --kubeconfig .eno/kubeconfig

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .eno
