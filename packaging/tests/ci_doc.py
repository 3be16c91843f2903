#!/usr/bin/env python3
"""install.ci_doc: runs every shell block of docs/ci.md, in order, in one bash shell, in a
scratch directory (the page's own commands: install into a prefix, the driver, the
launcher, --write-expectations, --expect), and checks that every `run:` line of its
YAML blocks is one of those commands. Usage: ci_doc.py SOURCE_DIR BUILD_DIR WORK_DIR"""
import os
import re
import shutil
import subprocess
import sys

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def blocks(markdown, language):
    return [body for lang, body in FENCE.findall(markdown) if lang == language]


def commands(script):
    """The script's commands, continuation lines joined and spaces collapsed."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return {" ".join(line.split()) for line in joined.splitlines() if line.strip()}


def main():
    source, build, work = sys.argv[1:4]
    page = open(os.path.join(source, "docs", "ci.md"), encoding="utf-8").read()
    shell = blocks(page, "sh")
    if len(shell) < 5:
        sys.exit(f"ci_doc: FAIL: docs/ci.md has {len(shell)} sh blocks, expected the 5 steps")

    # Every CI `run:` line is a command the shell blocks run.
    known = set()
    for body in shell:
        known |= commands(body)
    runs = [m.strip() for body in blocks(page, "yaml") for m in re.findall(r"run:\s*(.+)", body)]
    if not runs:
        sys.exit("ci_doc: FAIL: docs/ci.md has no YAML run: line")
    for line in runs:
        if " ".join(line.split()) not in known:
            sys.exit(f"ci_doc: FAIL: the YAML runs a command no shell block runs: {line}")

    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    script = "set -euo pipefail\n"
    for i, body in enumerate(shell, 1):
        script += f"echo '--- docs/ci.md shell block {i}'\n{body}\n"
    env = dict(os.environ)
    env.pop("FAULTLINE_SERVER", None)  # the installed programs find their own
    env.pop("FAULTLINE_DATA_DIR", None)
    env.update({
        "FAULTLINE_CHECKOUT": source,
        "FAULTLINE_BUILD": build,
        "FAULTLINE_PREFIX": os.path.join(work, "prefix"),
        "HOME": work,
    })
    result = subprocess.run(["bash", "-c", script], cwd=work, env=env, timeout=600)
    if result.returncode != 0:
        sys.exit(f"ci_doc: FAIL: the page's shell blocks exited {result.returncode}")
    for produced in ("my-sdk/faultline-expectations.json", "my-sdk/reports/junit.xml"):
        if not os.path.getsize(os.path.join(work, produced)):
            sys.exit(f"ci_doc: FAIL: {produced} is empty")
    print("ci_doc: every command of docs/ci.md ran")


if __name__ == "__main__":
    main()
