# lokictl developer entry points. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export LANG := C.UTF-8
export LC_ALL := C.UTF-8
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: host venv demo test lint unit docs clean image molecule

$(BIN)/lokictl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/lokictl

## host: install and start what the lab and tests need on this machine (Docker engine, debootstrap, ...).
host:
	bash scripts/host-setup.sh

## demo: set up and run the main job on the embedded default (a local lab).
demo: host venv
	bash scripts/demo.sh

## test: set up and run every test (lint, unit, integration, Molecule on real hosts).
test: host venv lint unit molecule

lint: venv
	$(BIN)/ruff check lokictl tests benchmarks
	$(BIN)/ruff format --check lokictl tests benchmarks
	$(BIN)/mypy
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --offline -q

unit: venv
	$(BIN)/pytest -q

## image: build the lab host image lokictl/host:bookworm (re-imported from the cache when built before).
image: host venv
	$(BIN)/lokictl lab image build --distro bookworm

## molecule: run every Molecule scenario under molecule/ on systemd containers (needs Docker).
molecule: venv image
	$(BIN)/molecule test --all --exclude k8s_cluster  # k8s_cluster needs real hosts + upstream artifacts

## docs: regenerate generated docs (site-file reference, JSON schema).
docs: venv
	$(BIN)/python -m lokictl.docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
