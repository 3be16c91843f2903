#!/usr/bin/env python3
"""Appends one comparison of a benchmark run to a JSON-lines results file.

usage: record.py FILE --id ID --title TEXT --command TEXT
                 --row NAME=VALUE[:UNIT] ... [--ratio R --ratio-of TEXT --target OP:NUMBER]
                 [--lower-is-better] [--note TEXT]

A comparison is a table of rows measured in the same run, and optionally the ratio
that the project's target is stated in (bench/README.md describes the format).
"""
import argparse
import json
import sys


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--id", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--command", required=True)
    p.add_argument("--row", action="append", default=[], help="NAME=VALUE[:UNIT]")
    p.add_argument("--ratio", type=float)
    p.add_argument("--ratio-of", default="")
    p.add_argument("--target", default="", help="'>=:1.2' or '<=:1.0'")
    p.add_argument("--note", default="")
    a = p.parse_args()
    rows = []
    for r in a.row:
        name, _, rest = r.partition("=")
        value, _, unit = rest.partition(":")
        try:
            number = float(value)
        except ValueError:
            print(f"record.py: {a.id}: row {name!r} has no number ({value!r})", file=sys.stderr)
            number = None
        rows.append({"name": name, "value": number, "unit": unit})
    entry = {"id": a.id, "title": a.title, "command": a.command, "rows": rows}
    if a.note:
        entry["note"] = a.note
    if a.target:
        op, _, number = a.target.partition(":")
        if op not in (">=", "<="):
            print(f"record.py: {a.id}: bad target {a.target!r}", file=sys.stderr)
            return 2
        entry["target"] = {"op": op, "value": float(number)}
        entry["ratio_of"] = a.ratio_of
        entry["ratio"] = a.ratio
        if a.ratio is None:
            entry["met"] = False
        else:
            entry["met"] = a.ratio >= float(number) if op == ">=" else a.ratio <= float(number)
    with open(a.file, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
