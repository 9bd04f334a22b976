# lastunit: build, serve and test.
#   make dev    installs what is missing, builds the worker and the widget, serves the edge
#               on http://127.0.0.1:$(PORT) with state in $(STATE_DIR); SEED_DEMO=1 seeds a demo.
#   make test   installs what is missing and runs every suite (engine native and wasm, worker
#               e2e, browser, reliability).
#   make bench  every benchmark (engine native and Wasm, widget size, edge); writes BENCHMARKS.md.

PORT ?= 8787
STATE_DIR ?= .wrangler/state
SEED_DEMO ?= 1

SHELL := /usr/bin/env bash
# Where cargo installs tools: $CARGO_HOME/bin, or ~/.cargo/bin (as cargo and the scripts decide).
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CARGO_BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# worker-build must never download its tools.
export WASM_BINDGEN_BIN ?= $(CARGO_BIN)/wasm-bindgen
export WASM_OPT_BIN ?= $(CURDIR)/node_modules/.bin/wasm-opt
export ESBUILD_BIN ?= $(CURDIR)/node_modules/.bin/esbuild

.PHONY: all bootstrap build worker widget dev test test-engine test-e2e test-browser test-reliability bench clean-state

all: build

bootstrap:
	@scripts/bootstrap.sh

worker:
	scripts/build-worker.sh

widget:
	@if [ -x www/build.sh ]; then www/build.sh; else mkdir -p www/dist; echo "www/build.sh not present: no widget built"; fi

build: bootstrap worker widget

dev: build
	@PORT=$(PORT) STATE_DIR=$(STATE_DIR) SEED_DEMO=$(SEED_DEMO) scripts/dev.sh

# The worker crate's pure helpers run natively here; its routes and objects are test-e2e's.
test-engine:
	cargo test --workspace --exclude lastunit-worker
	cargo test -p lastunit-worker --lib
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=$(CARGO_BIN)/wasm-bindgen-test-runner \
		cargo test --target wasm32-unknown-unknown --features wasm --test wasm
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=$(CARGO_BIN)/wasm-bindgen-test-runner \
		cargo test -p lastunit-widget --target wasm32-unknown-unknown

test-e2e:
	node --test --test-concurrency=1 tests/e2e/

test-browser:
	@if [ -d tests/browser ] && ls tests/browser/*.test.mjs >/dev/null 2>&1; then \
		node --test --test-concurrency=1 tests/browser/; \
	else echo "tests/browser: no browser suites present"; fi

test-reliability:
	@if [ -d tests/reliability ] && ls tests/reliability/*.test.mjs >/dev/null 2>&1; then \
		node --test --test-concurrency=1 tests/reliability/; \
	else echo "tests/reliability: no reliability suites present"; fi

# Every suite runs even when an earlier one fails; the failed ones are named at the end.
test: build
	@failed=""; \
	for suite in test-engine test-e2e test-browser test-reliability; do \
		echo "==== $$suite"; \
		$(MAKE) --no-print-directory $$suite || failed="$$failed $$suite"; \
	done; \
	if [ -n "$$failed" ]; then echo "==== FAILED:$$failed"; exit 1; fi; \
	echo "==== all suites passed"

bench: build
	scripts/bench.sh

clean-state:
	rm -rf $(STATE_DIR)
