#!/usr/bin/env bash
# Serves the built edge locally (wrangler dev → workerd) and seeds the demo into an empty store.
# Called by `make dev` after the build; Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8787}"
STATE_DIR="${STATE_DIR:-.wrangler/state}"
SEED_DEMO="${SEED_DEMO:-1}"
URL="http://127.0.0.1:$PORT"

[ -f .dev.vars ] || cp .dev.vars.example .dev.vars
mkdir -p www/dist "$STATE_DIR"

# Serve what `make` built: a copy of wrangler.toml without [build].
CONFIG=.wrangler/dev-wrangler.toml
mkdir -p .wrangler
node scripts/wrangler-local.mjs "$CONFIG"

set -m
node_modules/.bin/wrangler dev --config "$CONFIG" --env-file "$PWD/.dev.vars" --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE_DIR" \
  --show-interactive-dev-session=false &
WRANGLER_PID=$!
# A stop gets more than one signal: `make` forwards its TERM to this script on top of the one the
# whole group got. A second signal must not end the script before wrangler's own group (set -m)
# has been told, or wrangler and workerd stay behind; so further signals are ignored while
# stopping, and a group that has not gone within 10 s is killed.
stop() {
  trap '' INT TERM
  trap - EXIT
  kill -TERM -- "-$WRANGLER_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 -- "-$WRANGLER_PID" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 -- "-$WRANGLER_PID" 2>/dev/null; then kill -KILL -- "-$WRANGLER_PID" 2>/dev/null || true; fi
  wait "$WRANGLER_PID" 2>/dev/null || true
}
trap stop INT TERM EXIT

for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "$URL/v1/health" 2>/dev/null && break
  kill -0 "$WRANGLER_PID" 2>/dev/null || { echo "wrangler dev exited" >&2; exit 1; }
  sleep 0.2
done

if [ "$SEED_DEMO" = 1 ]; then
  node scripts/seed-demo.mjs "$URL"
fi

cat <<MSG

  lastunit edge:  $URL
  demo page:      $URL/
  dashboard:      $URL/dashboard   (admin token: ADMIN_TOKEN in .dev.vars)
  state:          $STATE_DIR
  Ctrl-C stops.

MSG
wait "$WRANGLER_PID"
