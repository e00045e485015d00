"""Gates that block a commit (the pre-commit hooks in .pre-commit-hooks.yaml,
``repro check``): pure checks of a repro project, each returning a
``GateResult`` whose findings say, one line each, what is wrong and the
command that fixes it.

- ``lineage``: the lock is fresh and the objects of its runs reachable
  (judged by the project's own interpreter);
- ``lock``: repro.lock parses, matches its schema, and its ids are well formed;
- ``large-data``: no staged data file over the size limit;
- ``pinned``: images pinned by digest, and a Python lock file.
"""

from repro.lazy import lazy_exports

__all__ = [
    "CHECKS",
    "Finding",
    "GateOptions",
    "GateResult",
    "check_large_data",
    "check_lineage",
    "check_lock",
    "check_pinned",
    "judge_lineage",
    "run_check",
    "run_checks",
]

__getattr__ = lazy_exports(
    globals(),
    {
        "CHECKS": "repro.gates.checks",
        "GateOptions": "repro.gates.checks",
        "run_check": "repro.gates.checks",
        "run_checks": "repro.gates.checks",
        "Finding": "repro.gates.result",
        "GateResult": "repro.gates.result",
        "check_large_data": "repro.gates.largedata",
        "check_lineage": "repro.gates.lineage",
        "judge_lineage": "repro.gates.lineage",
        "check_lock": "repro.gates.lockvalid",
        "check_pinned": "repro.gates.pinned",
    },
)
