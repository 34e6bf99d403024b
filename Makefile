# smpstudio — every target bootstraps what it needs on a fresh machine.
#   make demo    install, then run the main job on the embedded defaults
#   make test    install, then lint + type check + every test
#   make bench   install, then the benchmarks (docs/performance.md)
#   make lint    ruff + mypy --strict

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt
# Debian packages the project needs, installed by `make` when run as root (none yet for the core).
DEBIAN_PACKAGES :=
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba-cache
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test lint typecheck format bench clean debian-packages

install: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS) | debian-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

debian-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (run make as root, or: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

demo: install
	$(BIN)/smpstudio demo --out demo-out

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

typecheck: lint

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

test: install lint
	$(BIN)/pytest -n 2 -q

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis demo-out
