"""Reads build/counts.tsv, writes report/summary.json."""

import json
import pathlib
import sys

min_words = int(sys.argv[1])
rows = [line.split("\t") for line in pathlib.Path("build/counts.tsv").read_text().splitlines()]
counts = [int(words) for _, words in rows]
out = pathlib.Path("report")
out.mkdir(exist_ok=True)
summary = {
    "lines": len(counts),
    "words": sum(counts),
    "long_lines": sum(c >= min_words for c in counts),
}
(out / "summary.json").write_text(json.dumps(summary, sort_keys=True) + "\n")
