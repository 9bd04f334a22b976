#!/usr/bin/env bash
# Edge benchmarks (run by scripts/bench.sh, i.e. `make bench`). First lastunit against the bare
# platform on raw workerd (benches/edge/workerd_ratio.mjs: alternating pairs, CPU per request),
# then, through wrangler dev, hot-SKU reservations against a bare Durable Object
# (plus where the time goes, and the cost of piled-up holds),
# propagation to 500 live subscribers, catalog scale over 10,000 SKUs, connected stores (change →
# store write, a burst, a resync of 2,000 SKUs: WooCommerce takes one PUT per SKU at 5 a second,
# so 10,000 would be half an hour of it), and a CSV import of 10,000 new SKUs on raw workerd.
# Each starts its own local edge (workerd directly, or wrangler dev → workerd) from
# worker/build, and prints a Markdown table.
# QUICK=1 runs smaller sizes (a smoke test, not figures to record).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f worker/build/index.js ] || scripts/build-worker.sh
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${QUICK:-0}" = 1 ]; then
  node benches/edge/workerd_ratio.mjs --pairs 1 --seconds 2 --warmup 1
  node benches/edge/hot_sku.mjs --concurrency 32 --seconds 3
  node benches/edge/propagation.mjs --subscribers 100 --webhooks 20
  node benches/edge/catalog_scale.mjs --skus 300 --repeat 5
  node benches/edge/connectors.mjs --changes 20 --burst 50 --skus 200
  node benches/edge/catalog_import.mjs --rows 200
else
  node benches/edge/workerd_ratio.mjs --pairs 3 --seconds 10
  node benches/edge/hot_sku.mjs --concurrency 32 --seconds 10
  node benches/edge/breakdown.mjs
  node benches/edge/holds_cost.mjs
  node benches/edge/propagation.mjs --subscribers 500 --webhooks 100
  node benches/edge/catalog_scale.mjs --skus 10000 --repeat 20
  node benches/edge/connectors.mjs --changes 100 --burst 50 --skus 2000
  node benches/edge/catalog_import.mjs --rows 10000
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
