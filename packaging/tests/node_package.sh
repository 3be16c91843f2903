#!/usr/bin/env bash
# install.launcher_node_package: the Node launcher as an npm package. `npm pack` makes
# its tarball, which is installed (offline: no dependencies) into a fresh project that
# runs the README's node:test example and the launcher's stub suite, the server found on
# PATH (the staged install).
# With MODE "parallel" (install.launcher_node_parallel) it runs the parallel example
# instead: examples/node/parallel's two suite files at once (node --test, concurrency 2)
# under the package's faultline-shared, one server, each suite in its own namespace.
# Usage: node_package.sh SOURCE_DIR STAGED_PREFIX WORK_DIR [parallel]
set -euo pipefail
SRC=$1 STAGED=$2 WORK=$3 MODE=${4:-}
fail() { printf 'launcher_node_package: FAIL: %s\n' "$*" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK/app"
pack=$(cd "$SRC/harness/launchers/node" && npm pack --json --pack-destination "$WORK" 2>/dev/null) ||
  fail "npm pack failed"
tarball=$(node -e 'const p=JSON.parse(process.argv[1]); console.log(p[0].filename)' "$pack")
tar -tzf "$WORK/$tarball" | grep -q "package/index.d.ts" || fail "$tarball lacks index.d.ts"

cd "$WORK/app"
if [ "$MODE" = parallel ]; then
  # The example's own package.json: `npm test` runs it under faultline-shared.
  cp "$SRC/examples/node/parallel/package.json" .
else
  printf '{"name":"faultline-launcher-example","version":"1.0.0","private":true}\n' >package.json
fi
npm install --offline --no-audit --no-fund --loglevel=error "$WORK/$tarball" ||
  fail "npm install $tarball failed"
if [ "$MODE" = parallel ]; then
  cp "$SRC"/examples/node/parallel/*.js .
  [ -x node_modules/.bin/faultline-shared ] || fail "the package installs no faultline-shared"
  env -u FAULTLINE_SERVER PATH="$STAGED/bin:$PATH" npm test --silent
  exit
fi
# The README's example, and the launcher's stub suite requiring the installed package.
cp "$SRC/examples/node/example.test.js" .
sed "s|require('..')|require('faultline-launcher')|" "$SRC/harness/launchers/node/test/stubs.test.js" >stubs.test.js
grep -q "require('faultline-launcher')" stubs.test.js || fail "stubs.test.js no longer requires '..'"
# The launcher resolves from node_modules, the server from PATH only.
resolved=$(node -p 'require.resolve("faultline-launcher")')
[ "$resolved" = "$WORK/app/node_modules/faultline-launcher/index.js" ] ||
  fail "faultline-launcher resolved to $resolved"
env -u FAULTLINE_SERVER PATH="$STAGED/bin:$PATH" FAULTLINE_STUBS_DIR="$SRC/harness/tests/stubs" \
  node --test example.test.js stubs.test.js
