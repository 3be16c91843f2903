#!/usr/bin/env bash
# install.ci_example: the README's CI route, examples/ci/run-suites.sh, run as a CI job
# would: the staged install as FAULTLINE_PREFIX, copies of examples/python/parallel and
# examples/node/parallel as the project's suites, Debian's python3 (as the other
# launcher tests).
# Usage: ci_example.sh SOURCE_DIR STAGED_PREFIX WORK_DIR
set -euo pipefail
SRC=$1 STAGED=$2 WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cp -r "$SRC/examples/python/parallel" "$WORK/python-tests"
cp -r "$SRC/examples/node/parallel" "$WORK/node-tests"
env -u FAULTLINE_SERVER FAULTLINE_PREFIX="$STAGED" PYTHON=/usr/bin/python3 \
  "$SRC/examples/ci/run-suites.sh" "$WORK/python-tests" "$WORK/node-tests" "$WORK"
