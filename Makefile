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


# The embedded API server, both daemons, and the migration example run end to end through `eno migrate`;
# then it stays up (kubectl --kubeconfig .eno/kubeconfig ...) until Ctrl-C. Each run starts from an empty
# cluster: the runbook begins where the example does.
run: $(STAMP)
	rm -rf .eno/data
	$(BIN)/eno dev --example migration --walkthrough

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .eno
