"""Counts of a fuzz run's log (REPRO_FUZZ_LOG): commands run per test and
command with their outcomes, and the findings grouped by kind, command and
first line. Usage: python tests/fuzz/fuzz_summary.py LOG"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from typing import Any


def _group(test: str) -> str:
    return "seeds" if test.startswith("seed") else test


def _outcome(entry: dict[str, Any]) -> str:
    code = entry["code"]
    if code is None:
        return "timeout"
    if entry["command"] == "ui page":
        return f"{code // 100}xx"
    return "ok" if code == 0 else f"exit {code}"


def _command(command: str) -> str:
    """A command line without its arguments; a page without its values."""
    if command.startswith("GET "):
        route = command[4:].split("?")[0].split("/")[1:]
        return "GET /" + "/".join(route[:1] + ["…"] * min(1, len(route) - 1))
    return _plain(command).split(" -- ")[0]


def _plain(text: str) -> str:
    text = re.sub(r"/\S+/cases/case-\w+", "CASE", text)
    text = re.sub(r"\b01[0-9a-z]{12}\b", "RUN", text)
    text = re.sub(r"byte 0x[0-9a-f]{2} in position \d+: [a-z ]+", "byte …", text)
    return re.sub(r"\b[0-9a-f]{32}\b", "OID", text)


def main(path: str) -> None:
    with open(path, encoding="utf-8") as file:
        entries = [json.loads(line) for line in file]
    runs: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    findings: Counter[tuple[str, str, str]] = Counter()
    for entry in entries:
        if "finding" in entry:
            first = _plain(entry["detail"].splitlines()[0])[:140]
            findings[(entry["finding"], _command(entry["command"]), first)] += 1
        else:
            runs[(_group(entry["test"]), entry["command"])][_outcome(entry)] += 1
    total = 0
    print(f"{'test':15} {'command':30} {'cases':>6}  outcomes")
    for (test, command), outcomes in sorted(runs.items()):
        count = sum(outcomes.values())
        total += count
        print(f"{test:15} {command:30} {count:6}  {dict(outcomes)}")
    print(f"{'':15} {'total':30} {total:6}\n")
    print("findings (kind, command, first line):")
    for (kind, command, first), count in sorted(findings.items()):
        print(f"{count:5}  [{kind}] {command}: {first}")


if __name__ == "__main__":
    main(sys.argv[1])
