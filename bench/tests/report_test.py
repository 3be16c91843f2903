#!/usr/bin/env python3
"""bench/report.py on a small results file: the page, one chart per comparison, the exit
status naming a missed target, and a clear error on a bad file."""
import json
import os
import subprocess
import sys
import tempfile

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report.py")
RECORD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record.py")


def run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "results.jsonl")
        with open(results, "w") as f:
            f.write(json.dumps({"id": "_run", "machine": "test box", "commit": "abc", "date": "d"}) + "\n")
        r = run(RECORD, results, "--id", "fast", "--title", "Fast one", "--command", "cmd a",
                "--row", "ours=90:req/s", "--row", "theirs=100:req/s", "--ratio", "0.9",
                "--ratio-of", "ours / theirs", "--target", ">=:1.0")
        if r.returncode != 0:
            failures.append(f"record.py failed: {r.stderr}")
        run(RECORD, results, "--id", "cheap", "--title", "Cheap one", "--command", "cmd b",
            "--row", "ours=5:ms", "--ratio", "0.5", "--ratio-of", "ours / 10", "--target", "<=:1.0")
        run(RECORD, results, "--id", "plain", "--title", "No target", "--command", "cmd c",
            "--row", "ours=x:ms")
        notes = os.path.join(tmp, "notes.md")
        with open(notes, "w") as f:
            f.write("history line\n")
        docs = os.path.join(tmp, "docs")
        r = run(REPORT, results, "--docs", docs, "--notes", notes)
        if r.returncode != 1 or "fast" not in r.stdout or "cheap" in r.stdout.split("missed:")[-1]:
            failures.append(f"expected exit 1 naming only 'fast': {r.returncode} {r.stdout!r}")
        page = open(os.path.join(docs, "benchmarks.md")).read()
        for needle in ("test box", "abc", "| [Fast one](#fast) | ours / theirs: 0.90 | >= 1.00 | **missed** |",
                       "| [Cheap one](#cheap) | ours / 10: 0.50 | <= 1.00 | met |", "![Fast one](bench/fast.svg)",
                       "| ours | n/a ms |", "history line"):
            if needle not in page:
                failures.append(f"page lacks {needle!r}")
        for chart in ("fast", "cheap", "plain"):
            svg = open(os.path.join(docs, "bench", chart + ".svg")).read()
            if not svg.startswith("<svg") or "</svg>" not in svg:
                failures.append(f"{chart}.svg is not an SVG")
        if "MISSED" not in open(os.path.join(docs, "bench", "fast.svg")).read():
            failures.append("fast.svg does not say the target was missed")
        with open(results, "a") as f:
            f.write("{not json\n")
        r = run(REPORT, results, "--docs", docs)
        if r.returncode != 2 or "cannot read" not in r.stderr:
            failures.append(f"a bad file must exit 2 saying so: {r.returncode} {r.stderr!r}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
