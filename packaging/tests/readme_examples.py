"""install.readme_examples: every code block marked `<!-- example: PATH -->` in the README
and in docs/packaging.md must be a verbatim excerpt of PATH, the file a test runs, so the
documentation cannot drift from what is tested. Usage: readme_examples.py SOURCE_DIR"""
import os
import re
import sys

BLOCK = re.compile(r"<!-- example: (\S+) -->\n```[a-z]*\n(.*?)```", re.S)


DOCUMENTS = ("README.md", "docs/packaging.md")


def check(source_dir, document):
    """Returns (examples, mismatches) of one document; every one must have examples."""
    with open(os.path.join(source_dir, document), encoding="utf-8") as f:
        text = f.read()
    blocks = BLOCK.findall(text)
    marks = text.count("<!-- example:")
    if marks != len(blocks) or not blocks:
        print("%s: %d example marks, %d of them followed by a code block" % (document, marks, len(blocks)))
        return len(blocks), max(1, marks - len(blocks))
    failed = 0
    for path, excerpt in blocks:
        try:
            with open(os.path.join(source_dir, path), encoding="utf-8") as f:
                content = f.read()
        except OSError as e:
            print("%s example names %s: %s" % (document, path, e))
            failed += 1
            continue
        if excerpt not in content:
            print("%s example is not an excerpt of %s:\n%s" % (document, path, excerpt))
            failed += 1
    print("%s: %d examples, %d not matching their files" % (document, len(blocks), failed))
    return len(blocks), failed


def main(source_dir):
    failed = 0
    for document in DOCUMENTS:
        failed += check(source_dir, document)[1]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
