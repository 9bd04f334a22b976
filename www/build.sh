#!/usr/bin/env bash
# Builds the storefront widget and the static site the edge serves (wrangler [assets] = www/dist):
#   www/dist/widget/lastunit.js            the ES module a shop includes (starts the widget)
#   www/dist/widget/lastunit_widget.js     wasm-bindgen glue (imported by lastunit.js)
#   www/dist/widget/lastunit_widget_bg.wasm
#   www/dist/index.html, shop.css, shop.js  the demo storefront (from www/static/)
#   www/dist/dashboard/                     the operator dashboard (from www/dashboard/, if present)
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen 0.2.129 in ${CARGO_HOME:-~/.cargo}/bin,
# node_modules/.bin/wasm-opt (npm binaryen). Prints the gzipped size of what a shopper downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
WASM_BINDGEN="${WASM_BINDGEN_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen}"
WASM_OPT="${WASM_OPT_BIN:-$ROOT/node_modules/.bin/wasm-opt}"
OUT="$ROOT/www/dist"
PKG="$ROOT/www/pkg"

# Size over speed for this crate (the root Cargo.toml also says so; the env var keeps it true
# whatever the profile says).
export CARGO_PROFILE_RELEASE_PACKAGE_LASTUNIT_WIDGET_OPT_LEVEL=z
cargo build -p lastunit-widget --target wasm32-unknown-unknown --release
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"

rm -rf "$PKG"
"$WASM_BINDGEN" --target web --no-typescript --out-dir "$PKG" "$TARGET_DIR/wasm32-unknown-unknown/release/lastunit_widget.wasm"
"$WASM_OPT" -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  -o "$PKG/lastunit_widget_bg.wasm" "$PKG/lastunit_widget_bg.wasm"

mkdir -p "$OUT/widget"
rm -f "$OUT/widget/"*
cp "$PKG/lastunit_widget_bg.wasm" "$OUT/widget/"
# Minify the glue when esbuild is installed (npm devDependency); it is plain ES otherwise.
ESBUILD="${ESBUILD_BIN:-$ROOT/node_modules/.bin/esbuild}"
if [ -x "$ESBUILD" ]; then
  "$ESBUILD" "$PKG/lastunit_widget.js" --minify --format=esm --log-level=warning --outfile="$OUT/widget/lastunit_widget.js"
else
  cp "$PKG/lastunit_widget.js" "$OUT/widget/"
fi
cp "$ROOT/www/js/lastunit.js" "$OUT/widget/lastunit.js"
# The demo storefront.
cp -R "$ROOT/www/static/." "$OUT/"
# The operator's dashboard, when there is one.
if [ -d "$ROOT/www/dashboard" ]; then
  rm -rf "$OUT/dashboard"
  cp -R "$ROOT/www/dashboard" "$OUT/dashboard"
fi

size() { gzip -9 -c "$1" | wc -c; }
WASM_GZ=$(size "$OUT/widget/lastunit_widget_bg.wasm")
GLUE_GZ=$(size "$OUT/widget/lastunit_widget.js")
ENTRY_GZ=$(size "$OUT/widget/lastunit.js")
echo "widget (gzip -9): wasm $WASM_GZ + glue $GLUE_GZ + lastunit.js $ENTRY_GZ = $((WASM_GZ + GLUE_GZ + ENTRY_GZ)) bytes"
