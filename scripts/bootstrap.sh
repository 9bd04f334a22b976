#!/usr/bin/env bash
# Installs what lastunit needs to build and test, only what is missing or at the wrong version.
# Idempotent and quick when everything is in place. Every install it makes prints a line
# "bootstrap: installing ..." (scripts/fresh-check.sh checks that a second run prints none).
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.129
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"

say() { printf 'bootstrap: %s\n' "$*"; }

# Rust and the wasm target.
if ! command -v cargo >/dev/null; then
  say "installing rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "installing the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Pinned cargo tools.
tool_version() { "$1" --version 2>/dev/null | awk '{print $NF}' || true; }  # "0.8.7" or "wasm-bindgen 0.2.129"
if [ "$(tool_version "$CARGO_BIN/worker-build")" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION"
  cargo install --locked worker-build --version "$WORKER_BUILD_VERSION"
fi
if [ "$(tool_version "$CARGO_BIN/wasm-bindgen")" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# npm tools (wrangler, esbuild, binaryen, playwright-core, ws), only when node_modules is stale.
if ! command -v node >/dev/null; then
  say "node is missing: install Node.js 20 or later" >&2
  exit 1
fi
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -x node_modules/.bin/wrangler ]; then
  say "installing the npm tools (npm ci)"
  npm ci --no-audit --no-fund
fi

# Chromium for the browser suites (Debian's packages; a test tool must never download a browser).
# As root apt-get runs as it is; otherwise through sudo. `env` carries DEBIAN_FRONTEND through
# either (a bare `VAR=x` after an empty "$SUDO" would be run as a command).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    AS_ROOT=(env)
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    AS_ROOT=(sudo env)
  else
    say "chromium and chromium-driver are missing, and installing them needs root or password-less sudo." >&2
    say "install them with: sudo apt-get update && sudo apt-get install -y chromium chromium-driver" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    say "chromium is missing and this machine has no apt-get: install chromium and chromium-driver, then run again" >&2
    exit 1
  fi
  say "installing chromium and chromium-driver (apt-get)"
  # A fresh machine's package lists may be empty: update first. Another apt-get (a second
  # bootstrap, unattended upgrades) may hold the lock for a while: wait for it instead of failing.
  APT=(apt-get -qq -o DPkg::Lock::Timeout=600)
  "${AS_ROOT[@]}" DEBIAN_FRONTEND=noninteractive "${APT[@]}" update
  "${AS_ROOT[@]}" DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends chromium chromium-driver
  command -v chromium >/dev/null || { say "apt-get finished but chromium is still not on PATH" >&2; exit 1; }
fi

# Local settings.
if [ ! -f .dev.vars ]; then
  say "creating .dev.vars from .dev.vars.example"
  cp .dev.vars.example .dev.vars
fi
