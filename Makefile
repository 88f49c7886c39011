# veladdon: `make demo` and `make test` are the whole set-up on a fresh machine (Python >= 3.11, Node.js >= 18).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PORT ?= 8001
KUBEAPI_FLAGS ?= --with-kubevela --kubeconfig $(CURDIR)/.kubeapi.kubeconfig

.PHONY: install demo test lint typecheck layers unit conformance kubeapi bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP) $(NODE_STAMP)

demo: install
	$(BIN)/veladdon version
	$(BIN)/veladdon render examples/redis-operator

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest -q

test: install lint typecheck layers unit

# The conformance suite alone; against a real cluster with VELADDON_TEST_KUBECONFIG=... (see docs/testing.md).
conformance: install
	$(BIN)/pytest -q -m conformance tests/conformance

# The Kubernetes API emulator in the foreground, for trying veladdon and kubectl by hand.
kubeapi: install
	$(BIN)/python -m tests.kubeapi --port $(PORT) $(KUBEAPI_FLAGS)

bench: install
	$(BIN)/python bench/render.py
	$(BIN)/python bench/lint.py
	$(BIN)/python bench/kubeapi.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
