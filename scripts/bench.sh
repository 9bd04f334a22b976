#!/usr/bin/env bash
# `make bench`: runs every benchmark and writes what it measured, with the commands and the
# machine, into BENCHMARKS.md between the "make bench" markers. The rest of the file (what the
# figures mean, earlier runs) is kept. QUICK=1 runs the edge benchmarks at smoke-test sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT

echo "== engine, native (cargo bench --features bench --bench engine)"
cargo bench --features bench --bench engine -- --warm-up-time 1 --measurement-time 4 | tee "$run/engine.txt"
echo "== engine, Wasm (scripts/bench-engine-wasm.sh)"
scripts/bench-engine-wasm.sh | tee "$run/wasm.txt"
echo "== widget size (www/build.sh)"
www/build.sh | tail -1 | tee "$run/widget.txt"
echo "== edge (scripts/bench-edge.sh)"
scripts/bench-edge.sh | tee "$run/edge.txt"

node scripts/bench-report.mjs "$run" BENCHMARKS.md
echo "BENCHMARKS.md: the \"Latest make bench\" section is rewritten"
