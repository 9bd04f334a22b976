#!/usr/bin/env bash
# Makes an upgrade fixture: the local state a release of lastunit wrote, and what it answered.
#
#   scripts/make-state-fixture.sh [REV]     default ac9bdf6, the last release before the
#                                           versioned stored form
#
# Builds the worker of REV from git (in a temporary `git worktree`, with this checkout's
# pinned tools), serves it with `wrangler dev --persist-to DIR`, writes a small shop through the
# public API (scripts/state-fixture-shop.mjs: locations, channels, SKUs with allocations and
# buffers, generic signed events, a Shopify count, holds single and multi-line, committed and
# released, a purchase order, returns with reasons, a transfer), stops it, and keeps
#   tests/fixtures/state-<rev>/state/          the --persist-to directory's Durable Objects, as REV left them
#   tests/fixtures/state-<rev>/expected.json   what REV answered for every SKU once its live
#                                              holds were given back (as their lapsing does)
# tests/e2e/upgrade.test.mjs serves the current edge on a copy of every such fixture.
# Run it for each release whose state must keep loading; commit the result (it is small).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REV="${1:-ac9bdf6}"
SHORT="$(git -C "$ROOT" rev-parse --short=7 "$REV^{commit}")"
OUT="$ROOT/tests/fixtures/state-$SHORT"
WRANGLER="$ROOT/node_modules/.bin/wrangler"
[ -x "$WRANGLER" ] || { echo "make-state-fixture: run \`make build\` first (node_modules is missing)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "make-state-fixture: needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/lastunit-fixture-XXXXXX")"
WRANGLER_PID=""
stop_edge() {
  if [ -n "$WRANGLER_PID" ]; then
    kill -TERM -- "-$WRANGLER_PID" 2>/dev/null || true
    wait "$WRANGLER_PID" 2>/dev/null || true
    WRANGLER_PID=""
  fi
}
cleanup() {
  stop_edge
  git -C "$ROOT" worktree remove --force "$WORK/src" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "make-state-fixture: building $SHORT in $WORK/src"
git -C "$ROOT" worktree add --detach "$WORK/src" "$SHORT" >/dev/null
mkdir -p "$WORK/src/www/dist"
# Only the worker: the widget holds no state. A target directory of its own is kept between
# runs, so building the next release is incremental.
(
  cd "$WORK/src"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/state-fixture}"
  export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt" ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
  make --no-print-directory worker
)
node "$WORK/src/scripts/wrangler-local.mjs" "$WORK/wrangler.toml"
node --input-type=module -e '
  const { DEFAULT_VARS } = await import(process.argv[1]);
  const { writeFileSync } = await import("node:fs");
  const lines = Object.entries(DEFAULT_VARS).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  writeFileSync(process.argv[2], lines.join("\n") + "\n", { mode: 0o600 });
' "$ROOT/tests/harness.mjs" "$WORK/edge.env"

PORT="$(node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
URL="http://127.0.0.1:$PORT"
start_edge() {
  set -m
  "$WRANGLER" dev --config "$WORK/wrangler.toml" --ip 127.0.0.1 --port "$PORT" --persist-to "$WORK/state" \
    --env-file "$WORK/edge.env" --show-interactive-dev-session=false >>"$WORK/wrangler.log" 2>&1 &
  WRANGLER_PID=$!
  set +m
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$URL/v1/health" 2>/dev/null && return 0
    kill -0 "$WRANGLER_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "make-state-fixture: $SHORT did not start:" >&2
  cat "$WORK/wrangler.log" >&2
  exit 1
}

start_edge
node "$ROOT/scripts/state-fixture-shop.mjs" write "$URL" "$WORK/shop.json"
stop_edge
rm -rf "$OUT"
mkdir -p "$OUT"
# The Durable Objects' databases only (wrangler's cache holds no state).
mkdir -p "$OUT/state/v3"
cp -R "$WORK/state/v3/do" "$OUT/state/v3/do"
# Fold each database's write-ahead log into it: the fixture is then plain SQLite files whose rows
# a test can find (and break on purpose) in place, and small.
for db in $(find "$OUT/state" -name '*.sqlite'); do
  sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;' >/dev/null
done
find "$OUT/state" \( -name '*.sqlite-wal' -o -name '*.sqlite-shm' \) -delete
# The answers once the live holds are given back, from the same state (not from the copy).
start_edge
node "$ROOT/scripts/state-fixture-shop.mjs" record "$URL" "$WORK/shop.json" "$OUT/expected.json"
stop_edge
echo "make-state-fixture: wrote $OUT ($(du -sh "$OUT" | cut -f1))"
