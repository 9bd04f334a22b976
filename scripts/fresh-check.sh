#!/usr/bin/env bash
# Meets lastunit the way a new user does: a fresh clone, the README's two commands, nothing of
# ours preinstalled. Not run in CI (it takes 15-25 minutes, most of it installing and compiling).
#
#   scripts/fresh-check.sh [REPO]     REPO: default this checkout; its committed HEAD is tested
#
# In a temporary folder it clones REPO at its HEAD commit, then, with a fresh HOME, a fresh
# CARGO_HOME holding only the rustup proxies (cargo, rustc, rustup, ...; no worker-build, no
# wasm-bindgen) and a fresh npm cache, and nothing else from this environment:
#   1. make test              must install what is missing and pass;
#   2. make dev               in the background until /v1/health, / and /dashboard answer, then
#                             stopped, leaving no process behind;
#   3. make test again        must pass and install nothing (no "bootstrap: installing" line).
# It prints the wall time of each step and exits non-zero on the first failure (keeping the
# folder and the logs for a look).
#
# Reused on purpose: the Rust toolchain itself (RUSTUP_HOME), the registry download caches
# (~/.cargo/registry and ~/.cargo/git, symlinked: crate sources, not built tools) and a copy of
# the npm download cache. Chromium is a system package (/usr/bin/chromium) and cannot be hidden
# from the clone: if it is installed here, the bootstrap's apt-get path is not exercised by
# this script (run `make test` on a machine without it for that).
set -euo pipefail

SRC="$(cd "${1:-$(dirname "$0")/..}" && git rev-parse --show-toplevel)"
REV="$(git -C "$SRC" rev-parse HEAD)"
REAL_CARGO="${CARGO_HOME:-$HOME/.cargo}"
REAL_RUSTUP="${RUSTUP_HOME:-$HOME/.rustup}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lastunit-fresh-XXXXXX")"
CLONE="$WORK/lastunit"
LOGS="$WORK/logs"
mkdir -p "$LOGS" "$WORK/home" "$WORK/cargo/bin" "$WORK/home/.npm"

say() { printf 'fresh-check: %s\n' "$*"; }
fail() {
  say "FAILED: $*" >&2
  say "logs and the clone are kept in $WORK" >&2
  exit 1
}
STEPS=()
clock() { date +%s; }
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }
record() { STEPS+=("$(printf '%-34s %s' "$1" "$(mmss "$2")")"); say "$1: $(mmss "$2")"; }
summary() {
  [ ${#STEPS[@]} -gt 0 ] || return 0
  echo
  say "wall time per step"
  for s in "${STEPS[@]}"; do printf '  %s\n' "$s"; done
}

# The environment of a new user: only what a machine with Rust and Node has.
[ -x "$REAL_CARGO/bin/rustup" ] || fail "no rustup in $REAL_CARGO/bin: this check needs Rust installed with rustup"
# Only rustup's proxies (cargo, rustc, rustfmt, ... are rustup under another name): none of the
# tools the bootstrap installs (worker-build, wasm-bindgen, wasm-bindgen-test-runner).
RUSTUP_BIN="$(readlink -f "$REAL_CARGO/bin/rustup")"
for tool in "$REAL_CARGO"/bin/*; do
  if [ "$(readlink -f "$tool")" = "$RUSTUP_BIN" ]; then ln -s "$tool" "$WORK/cargo/bin/"; fi
done
for cache in registry git; do
  if [ -d "$REAL_CARGO/$cache" ]; then ln -s "$REAL_CARGO/$cache" "$WORK/cargo/$cache"; fi
done
if [ -d "$HOME/.npm/_cacache" ]; then cp -R "$HOME/.npm/_cacache" "$WORK/home/.npm/_cacache"; fi
# PATH without the real cargo bin and without any node_modules/.bin.
CLEAN_PATH="$WORK/cargo/bin"
IFS=: read -r -a parts <<<"$PATH"
for p in "${parts[@]}"; do
  case "$p" in
    "$REAL_CARGO/bin" | */node_modules/.bin | "") ;;
    *) CLEAN_PATH="$CLEAN_PATH:$p" ;;
  esac
done
fresh() {
  env -i HOME="$WORK/home" CARGO_HOME="$WORK/cargo" RUSTUP_HOME="$REAL_RUSTUP" PATH="$CLEAN_PATH" \
    npm_config_cache="$WORK/home/.npm" LANG=C.UTF-8 TERM=dumb "$@"
}

say "testing $SRC at ${REV:0:12} in $WORK"
say "fresh CARGO_HOME bin: $(ls "$WORK/cargo/bin" | tr '\n' ' ')"
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  say "note: Chromium is installed on this machine (a system package this script cannot hide): the bootstrap will not install it here"
else
  say "note: Chromium is missing: the bootstrap must install it (as root, or with password-less sudo)"
fi

# Processes still running from inside the clone (wrangler, workerd, a test edge).
leftovers() {
  local p cwd
  for p in /proc/[0-9]*; do
    cwd="$(readlink "$p/cwd" 2>/dev/null)" || continue
    case "$cwd" in "$CLONE" | "$CLONE"/*) echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-120)" ;; esac
  done
}

DEV_PID=""
stop_dev() {
  [ -n "$DEV_PID" ] || return 0
  kill -TERM -- "-$DEV_PID" 2>/dev/null || true
  wait "$DEV_PID" 2>/dev/null || true
  DEV_PID=""
}
trap 'stop_dev; summary' EXIT

# make test in the clone, timed; stops the check when it fails or leaves processes behind.
run_make_test() {
  local n=$1 label=$2 log="$LOGS/make-test-$1.log" t
  t=$(clock)
  say "make test (run $n; log: $log)"
  if ! (cd "$CLONE" && fresh make test) >"$log" 2>&1; then
    record "$label" $(($(clock) - t))
    tail -40 "$log" >&2
    fail "$label"
  fi
  record "$label" $(($(clock) - t))
  grep -E '^==== |^# (tests|pass|fail) ' "$log" | sed 's/^/  /' || true
  local left
  left="$(leftovers)"
  [ -z "$left" ] || fail "processes left behind by make test:
$left"
}

# 0. The clone.
t=$(clock)
git clone --quiet "$(git -C "$SRC" rev-parse --path-format=absolute --git-common-dir)" "$CLONE" >"$LOGS/clone.log" 2>&1 || fail "git clone (see $LOGS/clone.log)"
git -C "$CLONE" checkout --quiet --detach "$REV" || fail "git checkout $REV"
record "git clone" $(($(clock) - t))

# 1. make test, the first time: installs everything it needs.
run_make_test 1 "make test (first, with installs)"
grep '^bootstrap: installing' "$LOGS/make-test-1.log" | sed 's/^/  /' || true

# 2. make dev: up, answering, then stopped with nothing left behind.
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
URL="http://127.0.0.1:$PORT"
t=$(clock)
say "make dev on $URL (log: $LOGS/make-dev.log)"
: >"$LOGS/make-dev.log" # exists before the wait below first reads it
set -m # its own process group, so that stopping it reaches make, dev.sh and wrangler
(cd "$CLONE" && fresh PORT="$PORT" make dev) >"$LOGS/make-dev.log" 2>&1 &
DEV_PID=$!
set +m
answers() { curl -fsSL -o /dev/null --max-time 5 "$URL$1" 2>/dev/null; }
# Up means: the demo is seeded (it prints the addresses then) and all three answer.
until grep -q 'demo page:' "$LOGS/make-dev.log" && answers /v1/health && answers / && answers /dashboard; do
  kill -0 "$DEV_PID" 2>/dev/null || { tail -40 "$LOGS/make-dev.log" >&2; fail "make dev exited before it answered"; }
  [ $(($(clock) - t)) -lt 900 ] || { tail -40 "$LOGS/make-dev.log" >&2; fail "make dev did not answer within 15 minutes"; }
  sleep 1
done
record "make dev until it answers" $(($(clock) - t))
t=$(clock)
stop_dev
for _ in $(seq 1 50); do [ -z "$(leftovers)" ] && break; sleep 0.2; done
left="$(leftovers)"
[ -z "$left" ] || fail "processes left behind by make dev:
$left"
answers /v1/health && fail "something still answers on $URL after make dev stopped"
record "make dev stopped, nothing left" $(($(clock) - t))

# 3. make test again: passes, installs nothing.
run_make_test 2 "make test (second)"
if grep '^bootstrap: installing' "$LOGS/make-test-2.log" >&2; then
  fail "the second make test installed something again"
fi

say "passed: a fresh clone tests, serves and tests again without reinstalling"
rm -rf "$WORK"
