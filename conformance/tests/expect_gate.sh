#!/usr/bin/env bash
# faultline-conformance --expect end to end (docs/ci.md): a regression of a non-gating
# driver exits 1, an improvement exits 0 (1 with --strict), a version mismatch is
# reported, a written file reads back as expected, a malformed one is a usage error, and
# the shipped conformance/expectations.json holds on a bounded subset of the catalogue.
# Usage: expect_gate.sh CASE CONFORMANCE_BINARY BUILD_DIR SOURCE_DIR WORK_DIR
set -uo pipefail
CASE=$1 BIN=$2 BUILD=$3 SRC=$4 WORK=$5
STUBS="$SRC/conformance/tests/stubs"
SHIPPED="$SRC/conformance/expectations.json"
fail() { printf 'expect_gate %s: FAIL: %s\n' "$CASE" "$*" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || fail "no work directory"

# run EXPECTED_STATUS ARGS...: runs the binary, keeps its output in out.txt.
run() {
  local want=$1 status=0
  shift
  "$BIN" --build "$BUILD" --reports "$WORK/reports" "$@" >out.txt 2>&1 || status=$?
  cat out.txt
  [ "$status" -eq "$want" ] || fail "exit status $status, expected $want (args: $*)"
}
# has TEXT: out.txt holds TEXT (a fixed string).
has() { grep -qF -- "$1" out.txt || fail "the output lacks: $1"; }

# edit FILE PYTHON: edits the JSON in FILE with a Python statement on `doc`.
edit() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || fail "cannot edit $1"
import json, sys
path, statement = sys.argv[1], sys.argv[2]
doc = json.load(open(path))
exec(statement)
json.dump(doc, open(path, "w"), indent=2)
PY
}

# Two stub columns that cannot pass (docs/driver-protocol.md: not JSON, exits at start)
# next to h1, which passes: the run's status comes from the expectations alone.
STUB_ARGS=(--check RT-ERROR-BODY --driver h1,garbage,exits
  --external "garbage=$STUBS/prints-garbage" --external "exits=$STUBS/exits-at-start")

case "$CASE" in
  regression)
    # garbage is expected to pass; exits has no entry (compared as pass): both regress.
    printf '%s\n' '{"drivers": {"h1": {"checks": {"RT-ERROR-BODY": "pass"}},
      "garbage": {"checks": {"RT-ERROR-BODY": "pass"}}}}' >expect.json
    run 1 "${STUB_ARGS[@]}" --expect expect.json
    has "PASS  RT-ERROR-BODY            h1"
    has "REGRESSION  RT-ERROR-BODY on garbage: expected pass, got FAIL"
    has "REGRESSION  RT-ERROR-BODY on exits: expected pass (no entry), got FAIL"
    has "to update in expect.json: garbage/RT-ERROR-BODY exits/RT-ERROR-BODY"
    ;;
  edited)
    # The shipped file with one known failure turned into an expected pass: a regression.
    cp "$SHIPPED" expect.json
    edit expect.json 'doc["drivers"]["python-httpx"]["checks"]["POOL-PRE-SETTINGS-BURST"] = "pass"'
    run 1 --driver python-httpx --check POOL-PRE-SETTINGS-BURST --expect expect.json
    has "REGRESSION  POOL-PRE-SETTINGS-BURST on python-httpx: expected pass, got FAIL"
    ;;
  improvement)
    printf '%s\n' '{"drivers": {"h1": {"checks": {"RT-ERROR-BODY": {"expect": "fail",
      "reason": "made up", "issue": "https://example.invalid/1"}}}}}' >expect.json
    run 0 --driver h1 --check RT-ERROR-BODY --expect expect.json
    has "improvement  RT-ERROR-BODY on h1: expected fail, got pass"
    has "(no regression: exit 0; --strict makes these fail the run)"
    run 1 --driver h1 --check RT-ERROR-BODY --expect expect.json --strict
    ;;
  version)
    printf '%s\n' '{"drivers": {"h1": {"client": "faultline", "version": "0.0-not-this",
      "checks": {"RT-ERROR-BODY": "pass"}}}}' >expect.json
    run 0 --driver h1 --check RT-ERROR-BODY --expect expect.json
    has "version mismatch  h1: expectations recorded with faultline 0.0-not-this, the driver says"
    run 1 --driver h1 --check RT-ERROR-BODY --expect expect.json --strict
    ;;
  write)
    # The stubs' failures written as expectations hold on the next run, strictly.
    run 0 "${STUB_ARGS[@]}" --write-expectations written.json
    /usr/bin/python3 - <<'PY' || fail "written.json is not what the run gave"
import json
doc = json.load(open("written.json"))
d = doc["drivers"]
assert d["h1"]["checks"]["RT-ERROR-BODY"] == "pass", d["h1"]
assert d["garbage"]["checks"]["RT-ERROR-BODY"]["expect"] == "fail", d["garbage"]
assert "not JSON" in d["garbage"]["checks"]["RT-ERROR-BODY"]["reason"], d["garbage"]
assert d["h1"]["version"], d["h1"]
PY
    run 0 "${STUB_ARGS[@]}" --expect written.json --strict
    has "every expectation holds"
    ;;
  malformed)
    printf '%s\n' '{"drivers": {"h1": {"checks": {"RT-ERROR-BODY": "passes"}}}}' >expect.json
    run 2 --driver h1 --check RT-ERROR-BODY --expect expect.json
    has "expect.json: expectations: \$.drivers.h1.checks.RT-ERROR-BODY: unknown expectation 'passes'"
    run 2 --driver h1 --check RT-ERROR-BODY --expect no-such-file.json
    has "cannot read no-such-file.json"
    ;;
  shipped)
    # Every bundled driver on checks whose verdicts do not depend on timing (RT-SSE's
    # "incrementally" does, under a loaded ctest -j2), and no version mismatch: the file
    # is pinned to what ./faultline installs. The whole catalogue is ./faultline
    # conformance --expect conformance/expectations.json (minutes).
    run 0 --check RT-ERROR-BODY,ALPN-NONE --expect "$SHIPPED"
    has " 0 regression(s)"
    if grep -qF "version mismatch" out.txt; then fail "a bundled client's version is not the pinned one"; fi
    ;;
  *)
    fail "unknown case (regression, edited, improvement, version, write, malformed, shipped)"
    ;;
esac
echo "expect_gate $CASE: ok"
