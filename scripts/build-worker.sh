#!/usr/bin/env bash
# Builds the Worker (worker/ → worker/build/) with the pinned tools; never downloads any.
# Used by `make` and by wrangler.toml's [build] (so a bare `wrangler deploy` builds too).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$CARGO_BIN/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
cd worker
exec worker-build --release
