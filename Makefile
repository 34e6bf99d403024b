# smpstudio — every target bootstraps what it needs on a fresh machine.
#   make demo    install, then run the main job on the embedded defaults
#   make test    install, then lint + type check + every test
#   make bench   install, then the benchmarks (docs/performance.md)
#   make lint    ruff + mypy --strict
#   make reliability  install, then the full fault, outage and load tests (docs/reliability.md)
#   make test-next-year  the tests that touch dates, with the system clock a year ahead
#   make serve   install, then the web studio on http://127.0.0.1:8000 (first run: the owner)

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt
# Debian packages the project needs, installed by `make` when run as root: Chromium and its
# driver for the web studio's browser tests (Playwright drives /usr/bin/chromium), and
# the PostgreSQL client (pg_dump / pg_restore for `smpstudio db backup|restore`), and
# faketime (`make test-next-year` moves the system clock a year ahead for the tests).
DEBIAN_PACKAGES := chromium chromium-driver postgresql-client faketime
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba-cache
# NumPy without its AVX-512 paths: the same numbers on every run and machine (smpstudio sets
# this itself when it is imported before NumPy; pytest's plugins may load NumPy first).
export NPY_DISABLE_CPU_FEATURES ?= AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: test-next-year install demo test lint typecheck format bench clean debian-packages bench-debian-packages serve gallery reliability fuzz

install: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS) | debian-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

# $(call debian,PACKAGES): install the Debian packages missing (as root), or say which.
define debian
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (run make as root, or: sudo apt-get install$$missing)"; exit 1; fi; \
	fi
endef

debian-packages:
	$(call debian,$(DEBIAN_PACKAGES))

demo: install
	$(BIN)/smpstudio demo --out demo

gallery: install
	$(BIN)/python docs/gallery/make_gallery.py

serve: install
	$(BIN)/smpstudio serve

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

typecheck: lint

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# The load test's client (locust, with gevent) runs as its own process from its own environment.
LOAD_VENV := .venv-load
LOAD_STAMP := $(LOAD_VENV)/.installed
LOCUST := $(CURDIR)/$(LOAD_VENV)/bin/locust

$(LOAD_STAMP): requirements/load.txt
	test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOAD_VENV)/bin/python -m pip install --quiet -r requirements/load.txt
	touch $@

# OpenBLAS on one thread, as the studio's compute threads run it (a BLAS call may split its
# work by the threads free); the last-bit differences once blamed on it came from NumPy's
# AVX-512 paths, switched off above (docs/reliability.md, "Determinism").
test: install lint $(LOAD_STAMP)
	OPENBLAS_NUM_THREADS=1 SMPSTUDIO_LOCUST=$(LOCUST) $(BIN)/pytest -n 2 -q

# The suite reads its own calendar (tests/conftest.py pins the studio's clock); run under
# libfaketime a year ahead, any code that reads the system's date instead fails a test.
NEXT_YEAR_TESTS := tests/test_clock.py tests/test_cli.py tests/clinic tests/web tests/plan tests/reports
test-next-year: install
	faketime -f '+365d' $(BIN)/pytest -n 2 -q $(NEXT_YEAR_TESTS)

# -rP prints the figures each test measured (tables of the load test, faults, outages).
reliability: install $(LOAD_STAMP)
	SMPSTUDIO_RELIABILITY_FULL=1 SMPSTUDIO_LOCUST=$(LOCUST) $(BIN)/pytest -q -rP tests/reliability

# Coverage-guided fuzzing (atheris, libFuzzer), not part of `make test`: FUZZ_SECONDS per
# harness in fuzz/; new corpus entries go to .fuzz/ (fuzz/corpus/ holds the seeds, only read);
# a finding stops the run and leaves the input that caused it (crash-*) in fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES := ingest design_json text_inputs
fuzz: install
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) atheris
	for h in $(FUZZ_HARNESSES); do \
	  mkdir -p .fuzz/$$h fuzz/corpus/$$h && \
	  (cd fuzz && ../$(BIN)/python fuzz_$$h.py -max_total_time=$(FUZZ_SECONDS) -timeout=30 \
	    -rss_limit_mb=4096 ../.fuzz/$$h corpus/$$h) || exit 1; \
	done

BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

# pycairo (a peer of the renderer) has no Linux wheel: pip builds it against libcairo2-dev.
BENCH_DEBIAN_PACKAGES := gcc pkg-config libcairo2-dev

bench-debian-packages:
	$(call debian,$(BENCH_DEBIAN_PACKAGES))

$(BENCH_STAMP): pyproject.toml requirements/bench.txt | debian-packages bench-debian-packages
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r requirements/bench.txt
	$(BENCH_VENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

# The peers need numpy 2, so the benchmarks run in their own environment.
bench: install $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m benchmarks

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(LOAD_VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .fuzz demo-out bench-out
