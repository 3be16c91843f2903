#!/usr/bin/env bash
# package.deb: builds faultline_<version>_<arch>.deb with CPack, unpacks it into a scratch
# root with dpkg -x, checks its files and Depends, then runs what it ships from there:
# faultline-server --help, a server answering a request sent by faultline-fetch, and
# faultline-conformance finding the server and the bundled drivers (node-http2, undici
# where Node is recent enough, and each driver over another language's client that this
# build made) relative to itself.
# Usage: deb_package.sh BUILD_DIR WORK_DIR VERSION
set -euo pipefail
BUILD=$1 WORK=$2 VERSION=$3
fail() { printf 'package.deb: FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf 'package.deb: %s\n' "$*"; }

rm -rf "$WORK"
mkdir -p "$WORK"
deb="$BUILD/packages/faultline_${VERSION}_$(dpkg --print-architecture).deb"
rm -f "$deb"

step "cpack -> $deb"
(cd "$BUILD" && cpack -G DEB --config CPackConfig.cmake) >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log" >&2; fail "cpack failed"; }
[ -f "$deb" ] || fail "cpack made no $deb; its log: $(cat "$WORK/cpack.log")"

step "Depends: the shared libraries the programs link"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libnghttp2-14 libcurl4 libssl3 libboost-filesystem1.81.0 libstdc++6 libc6; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: '$depends'"
done

step "Recommends: the runtimes of the drivers over other languages' clients"
recommends=$(dpkg-deb -f "$deb" Recommends)
for pkg in nodejs openjdk-17-jre-headless libokhttp-java libokio-java python3-httpx python3-h2; do
  grep -q "$pkg" <<<"$recommends" || fail "Recommends lacks $pkg: '$recommends'"
done
if grep -q -E "openjdk|okhttp|okio|httpx|python3-h2|golang|nodejs" <<<"$depends"; then
  fail "Depends names a driver's runtime (those are Recommends): '$depends'"
fi

step "dpkg -x into $WORK/root"
dpkg -x "$deb" "$WORK/root"
usr="$WORK/root/usr"
for f in bin/faultline-server bin/faultline-fetch bin/faultline-conformance \
  share/faultline/drivers/node-http2/faultline-driver.js \
  share/faultline/drivers/node/faultline-driver.js \
  share/faultline/scenarios/default.json \
  share/faultline/launchers/python/pyproject.toml share/faultline/launchers/node/package.json \
  share/doc/faultline/README.md lib/cmake/Faultline/FaultlineConfig.cmake \
  include/faultline/harness/driver.h; do
  [ -e "$usr/$f" ] || fail "the package lacks /usr/$f"
done
# The drivers over other languages' clients this build made are in the package.
language_drivers=()
for driver in go python-httpx java okhttp node-fetch; do
  [ -e "$BUILD/share/faultline/drivers/bin/faultline-driver-$driver" ] || continue
  [ -x "$usr/share/faultline/drivers/bin/faultline-driver-$driver" ] ||
    fail "the package lacks /usr/share/faultline/drivers/bin/faultline-driver-$driver"
  language_drivers+=("$driver")
done
for f in share/faultline/drivers/python-httpx/faultline_driver.py \
  share/faultline/drivers/node-fetch/faultline-driver.js; do
  [ -e "$usr/$f" ] || fail "the package lacks /usr/$f"
done
# Installed programs find their data relative to themselves: no build path inside. The
# name of a source file the build generated (scenarios/builtin_files.cpp) is not such a
# path: ASan and UBSan record it for their reports, whatever -ffile-prefix-map says, and
# it is absolute unless ccache's base_dir rewrote it.
for program in "$usr"/bin/faultline-* "$usr"/share/faultline/drivers/bin/* \
  "$usr"/share/faultline/drivers/lib/*; do
  [ -e "$program" ] || continue
  paths=$(strings -a "$program" | grep -F "$BUILD" | grep -v -E '\.(c|cc|cpp|h|hpp)$' || true)
  [ -z "$paths" ] || fail "$program contains the build path $BUILD: $(head -3 <<<"$paths")"
done

# Nothing from the build tree or the environment may point the programs elsewhere.
unset FAULTLINE_SERVER FAULTLINE_DATA_DIR
cd "$WORK"

step "faultline-server --help"
"$usr/bin/faultline-server" --help >"$WORK/help.txt" || fail "faultline-server --help failed"
grep -q -- "--scenario" "$WORK/help.txt" || fail "--help does not mention --scenario: $(cat "$WORK/help.txt")"

step "a server from the package, a request from the package's faultline-fetch"
exec {server_out}< <(exec "$usr/bin/faultline-server" --scenario default 2>"$WORK/server.err")
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
read -r -t 30 -u "$server_out" ready || fail "no ready line within 30 s; stderr: $(cat "$WORK/server.err")"
read -r https ca < <(/usr/bin/python3 -c \
  'import json,sys; r=json.loads(sys.argv[1]); print(r["https"], r["ca"])' "$ready") ||
  fail "ready line not understood: $ready"
"$usr/bin/faultline-fetch" "$https/health" --cacert "$ca" -o "$WORK/body" 2>"$WORK/fetch.err" ||
  fail "faultline-fetch failed: $(cat "$WORK/fetch.err")"
[ "$(cat "$WORK/body")" = ok ] || fail "GET /health answered '$(cat "$WORK/body")', not 'ok'"
grep -q "ok=1 failed=0 .*protocol=h2 status=200" "$WORK/fetch.err" ||
  fail "unexpected summary: $(cat "$WORK/fetch.err")"
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server did not exit 0 on SIGTERM; stderr: $(cat "$WORK/server.err")"
trap - EXIT

step "faultline-conformance with the package's server and drivers"
drivers=(h2 node-http2)
# undici (with its npm dependencies in the package) where Node can load it (>= 20.18.1).
if node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a==20&&b>=18)?0:1)'; then
  drivers+=(undici)
fi
drivers+=("${language_drivers[@]}")
"$usr/bin/faultline-conformance" --driver "$(IFS=,; echo "${drivers[*]}")" --check RT-ERROR-BODY \
  --reports "$WORK/reports" >"$WORK/conformance.out" 2>&1 ||
  fail "faultline-conformance failed: $(cat "$WORK/conformance.out")"
for driver in "${drivers[@]}"; do
  grep -Eq "PASS  RT-ERROR-BODY +$driver( |$)" "$WORK/conformance.out" ||
    fail "RT-ERROR-BODY did not pass on $driver: $(cat "$WORK/conformance.out")"
done
step "ok"
