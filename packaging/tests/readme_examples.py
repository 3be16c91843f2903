"""install.readme_examples: every README code block marked `<!-- example: PATH -->` must
be a verbatim excerpt of PATH, the file a test runs, so the README cannot drift from
what is tested. Usage: readme_examples.py SOURCE_DIR"""
import os
import re
import sys

BLOCK = re.compile(r"<!-- example: (\S+) -->\n```[a-z]*\n(.*?)```", re.S)


def main(source_dir):
    with open(os.path.join(source_dir, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    blocks = BLOCK.findall(readme)
    marks = readme.count("<!-- example:")
    if marks != len(blocks) or not blocks:
        print("README: %d example marks, %d of them followed by a code block" % (marks, len(blocks)))
        return 1
    failed = 0
    for path, text in blocks:
        try:
            with open(os.path.join(source_dir, path), encoding="utf-8") as f:
                content = f.read()
        except OSError as e:
            print("README example names %s: %s" % (path, e))
            failed += 1
            continue
        if text not in content:
            print("README example is not an excerpt of %s:\n%s" % (path, text))
            failed += 1
    print("%d README examples, %d not matching their files" % (len(blocks), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
