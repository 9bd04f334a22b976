#!/usr/bin/env bash
# The engine's benchmark workloads compiled to Wasm (compare with
# `cargo bench --features bench --bench engine`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --lib --target wasm32-unknown-unknown --features wasm,bench
wasm-bindgen --target nodejs --out-dir target/bench-wasm target/wasm32-unknown-unknown/release/lastunit.wasm
# Optimised as shipped builds are (worker-build and www/build.sh run wasm-opt too).
node_modules/.bin/wasm-opt -O3 target/bench-wasm/lastunit_bg.wasm -o target/bench-wasm/lastunit_bg.wasm
node benches/wasm.mjs target/bench-wasm
