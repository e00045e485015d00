"""Helpers for the materializer tests: dumping a value in a fresh interpreter,
to show that its bytes do not depend on the process that made them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

_SCRIPT = """
import sys
from repro.materialize import dump
from repro.store import ObjectStore, open_backend

{setup}

store = ObjectStore(open_backend(sys.argv[1], fsync=False), "xxh3-128")
print(dump(value, store).oid)
"""


def oid_in_fresh_process(setup: str, store_dir: Path, hash_seed: int) -> str:
    """The oid of ``value`` (defined by the code ``setup``) dumped by a new
    interpreter with the default registry; ``hash_seed`` varies the order
    of sets and of str-keyed hashing between processes."""
    script = _SCRIPT.format(setup=textwrap.dedent(setup))
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(store_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
