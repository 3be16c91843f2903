#!/usr/bin/env bash
# A CI step for a project whose tests use Faultline, after installing the .deb (or with
# an install prefix in FAULTLINE_PREFIX): the launchers from the package, then the
# project's Python suite under pytest-xdist and its Node suite with files in parallel,
# each on one shared faultline-server, each test in its own namespace. Run by ctest
# (install.ci_example) against a staged install, with examples/python/parallel and
# examples/node/parallel as the project's suites.
# Usage: run-suites.sh PYTHON_TESTS_DIR NODE_TESTS_DIR WORK_DIR (PYTHON: the interpreter
# the venv is made from, default python3)
set -euo pipefail
PY_TESTS=$1 NODE_TESTS=$2 WORK=$3
PREFIX=${FAULTLINE_PREFIX:-/usr}
export PATH="$PREFIX/bin:$PATH"   # faultline-server

# Python: the launcher into a venv (built from a copy: the prefix may be read-only);
# -n 2: the controller starts the one server.
"${PYTHON:-python3}" -m venv --system-site-packages "$WORK/venv"
cp -r "$PREFIX/share/faultline/launchers/python" "$WORK/launcher-python"
"$WORK/venv/bin/pip" install --quiet --no-index --no-build-isolation "$WORK/launcher-python"
"$WORK/venv/bin/python" -m pytest -p no:cacheprovider -n 2 --dist loadfile "$PY_TESTS"

# Node: the launcher into the project; faultline-shared starts the one server.
cd "$NODE_TESTS"
npm install --offline --no-audit --no-fund --no-save --loglevel=error "$PREFIX/share/faultline/launchers/node"
npm test  # "faultline-shared -- node --test --test-concurrency=2 ..." (its package.json)
