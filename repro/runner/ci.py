"""``repro run --ci``: the run, then what CI owes the team. The runs it made
(or, when nothing needed to run, the runs the lock pins) are pushed to the
default remote, so that the bytes behind a lock on the main branch are
reachable from every clone; and a lock the run changed but nobody committed
is a failure, since the commit being tested does not say what it produced.

Whether the lock changed is Git's answer: the blob of the work tree's
``repro.lock`` (as ``git hash-object`` computes it, filters included) against
HEAD's. A detached HEAD, as CI systems check commits out, is fine: only a
commit is needed, never a branch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from repro.errors import ReproError
from repro.project import Project
from repro.remotes import NoDefaultRemoteError, Remote, get_remote
from repro.runner.lockfile import LOCK_FILE
from repro.runner.sync import SyncOutcome, push_runs
from repro.store.transfer import Progress

__all__ = [
    "CiOutcome",
    "LockNotCommittedError",
    "NoCiRemoteError",
    "check_ci_ready",
    "finish_ci",
    "uncommitted_lock",
]


class NoCiRemoteError(ReproError):
    def __init__(self) -> None:
        super().__init__(
            "repro run --ci pushes its runs to the default remote and there is none; add one "
            "with 'repro remote add --default NAME URL' and commit .repro/config.toml"
        )


class LockNotCommittedError(ReproError):
    """The run left a lock that differs from the one in HEAD."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path} changed but is not committed (the committed lock is not what this "
            f"commit produces); commit it: git add {path} && git commit -m 'Update repro.lock'"
        )


@dataclass(frozen=True)
class CiOutcome:
    pushed: SyncOutcome
    # The lock's path (relative to the current folder) if it differs from
    # HEAD's, else None.
    uncommitted_lock: str | None

    def check(self) -> None:
        """Raise LockNotCommittedError if the run left the lock uncommitted."""
        if self.uncommitted_lock is not None:
            raise LockNotCommittedError(self.uncommitted_lock)


def check_ci_ready(project: Project) -> Remote:
    """Before anything runs: the default remote, and a Git work tree with a
    commit (the lock is judged against it). Raises what is missing."""
    from repro.git.command import open_workdir
    from repro.git.facts import head_commit

    try:
        remote = get_remote(project.config)
    except NoDefaultRemoteError:
        raise NoCiRemoteError() from None
    head_commit(open_workdir(project.root))
    return remote


def finish_ci(
    project: Project, runs: Sequence[str], *, progress: Progress | None = None
) -> CiOutcome:
    """Push ``runs`` (their records and every object they need) to the
    default remote, then judge the lock. Pushing first keeps the bytes of
    a run even when the lock check fails."""
    pushed = push_runs(project, sorted(set(runs)), progress=progress)
    return CiOutcome(pushed, uncommitted_lock(project))


def uncommitted_lock(project: Project) -> str | None:
    """The lock's path if the work tree's ``repro.lock`` is not HEAD's (a
    lock in neither is no change), else None."""
    from repro.git.command import open_workdir
    from repro.git.facts import head_commit

    workdir = open_workdir(project.root)
    path = os.path.join(project.root, LOCK_FILE)
    rel = os.path.relpath(path, workdir.root).replace(os.sep, "/")
    head = head_commit(workdir)
    found = workdir.run("rev-parse", "--verify", "--quiet", f"{head}:{rel}")
    committed = found.stdout.decode().strip() if found.ok else None
    current = None
    if os.path.isfile(path):
        current = workdir.check("hash-object", "--", rel).decode().strip()
    return None if current == committed else os.path.relpath(path)
