#!/usr/bin/env bash
# Soak: runs the reliability and security suites again and again (each time with a new seed for
# the randomised ones) until one fails or ITER runs pass. On failure it prints the seed, so the
# run can be replayed with RELIABILITY_SEED=<seed>.
#   ITER=10 scripts/soak.sh            # default 5; SUITE=tests/reliability/hot_sku.test.mjs for one suite
set -euo pipefail
cd "$(dirname "$0")/.."
ITER="${ITER:-5}"
SUITE="${SUITE:-tests/reliability/}"
[ -f worker/build/index.js ] || scripts/build-worker.sh
for i in $(seq 1 "$ITER"); do
  seed=$(( (RANDOM << 15 | RANDOM) + i ))
  echo "== soak $i/$ITER: RELIABILITY_SEED=$seed"
  if ! RELIABILITY_SEED=$seed node --test --test-concurrency=1 "$SUITE"; then
    echo "soak: run $i failed; replay with RELIABILITY_SEED=$seed node --test --test-concurrency=1 $SUITE" >&2
    exit 1
  fi
done
echo "soak: $ITER runs passed"
