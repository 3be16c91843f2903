#!/usr/bin/env bash
# install.launcher_python_package: the Python launcher as a package. A copy of
# harness/launchers/python is pip-installed (no network, no build isolation: Debian's
# setuptools) into a fresh venv of /usr/bin/python3; pytest there runs the launcher's stub
# suite and the README's example through the plugin's faultline_server fixture, the
# server found on PATH (the staged install).
# With MODE "parallel" (install.launcher_python_parallel) it runs the parallel example
# instead: examples/python/parallel's two suites in two pytest-xdist workers, one shared
# server, each suite in its own namespace.
# Usage: python_package.sh SOURCE_DIR STAGED_PREFIX WORK_DIR [parallel]
set -euo pipefail
SRC=$1 STAGED=$2 WORK=$3 MODE=${4:-}
fail() { printf 'launcher_python_package: FAIL: %s\n' "$*" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK"
# A copy: an in-tree build would leave build/ and *.egg-info in the source folder.
cp -r "$SRC/harness/launchers/python" "$WORK/src"
/usr/bin/python3 -m venv --system-site-packages "$WORK/venv" || fail "venv failed"
py="$WORK/venv/bin/python"
"$py" -m pip install --no-index --no-build-isolation --quiet --disable-pip-version-check "$WORK/src" ||
  fail "pip install failed"

cd "$WORK"
# The modules come from the venv's site-packages, not from a source folder.
"$py" - <<'PY' || fail "the launcher is not installed in the venv"
import sys, faultline_launcher, faultline_pytest
for m in (faultline_launcher, faultline_pytest):
    assert m.__file__.startswith(sys.prefix), m.__file__
PY
if [ "$MODE" = parallel ]; then
  cp -r "$SRC/examples/python/parallel" "$WORK/parallel"
  # -n 2 --dist loadfile: one worker per suite file; the controller starts the server.
  env -u FAULTLINE_SERVER PATH="$STAGED/bin:$PATH" \
    "$py" -m pytest -v -p no:cacheprovider -n 2 --dist loadfile "$WORK/parallel"
  exit
fi
# The launcher's own stub suite, copied away from the module so that it imports the
# installed one, and the README's example.
mkdir "$WORK/tests"
cp "$SRC/harness/launchers/python/test_stubs.py" "$SRC/examples/python/test_example.py" "$WORK/tests/"
env -u FAULTLINE_SERVER PATH="$STAGED/bin:$PATH" FAULTLINE_STUBS_DIR="$SRC/harness/tests/stubs" \
  "$py" -m pytest -v -p no:cacheprovider "$WORK/tests/test_stubs.py" "$WORK/tests/test_example.py"
