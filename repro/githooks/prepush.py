"""The pre-push hook: the runs that repro.lock pins in the commits being
pushed go to the default repro remote first, so that nobody pushes a lock
whose bytes are unreachable.

Git gives the hook one line per ref on stdin,
``<local ref> <local oid> <remote ref> <remote oid>``. The commits checked
are those the remote lacks that change the lock, and each pushed tip."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from repro.errors import ReproError, UsageError
from repro.git.command import Workdir
from repro.githooks.gitrepo import file_at
from repro.project import Project

__all__ = [
    "PrePushFailedError",
    "PrePushInputError",
    "PrePushOutcome",
    "PushedRef",
    "RunsNotPushedError",
    "lock_path",
    "parse_pushed_refs",
    "pinned_runs",
    "push_pinned_runs",
]

_LOCK = "repro.lock"


class PrePushInputError(UsageError, ValueError):
    def __init__(self, line: str) -> None:
        self.line = line
        super().__init__(
            f"pre-push: unexpected line on stdin {line!r}; Git gives "
            "'<local ref> <local oid> <remote ref> <remote oid>' (is this hook run by Git?)"
        )


class RunsNotPushedError(ReproError, LookupError):
    def __init__(self, runs: list[str], remote: str) -> None:
        self.runs = runs
        self.remote = remote
        super().__init__(
            f"run {', '.join(runs)} pinned by the pushed repro.lock is neither recorded here "
            f"nor on remote {remote!r}; push it from the machine that made it"
        )


class PrePushFailedError(ReproError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"pre-push: the runs repro.lock pins were not pushed: {reason} "
            "(to push the commits anyway: git push --no-verify)"
        )


@dataclass(frozen=True)
class PushedRef:
    local_ref: str
    local_oid: str
    remote_ref: str
    remote_oid: str

    @property
    def deletes(self) -> bool:
        return _zero(self.local_oid)


@dataclass
class PrePushOutcome:
    runs: list[str] = field(default_factory=list)  # pinned by the pushed locks
    remote: str | None = None  # where they went
    moved: int = 0  # objects sent
    note: str | None = None  # why nothing was pushed, when that is worth saying


def _zero(oid: str) -> bool:
    return not oid.strip("0")


def parse_pushed_refs(text: str) -> list[PushedRef]:
    refs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4:
            raise PrePushInputError(line)
        refs.append(PushedRef(*parts))
    return refs


def lock_path(project: Project, tree: Workdir) -> str:
    """repro.lock's path in a commit: relative to the top, with slashes."""
    relative = os.path.relpath(os.path.realpath(project.root), os.path.realpath(tree.root))
    return _LOCK if relative == "." else f"{relative.replace(os.sep, '/')}/{_LOCK}"


def pinned_runs(tree: Workdir, path: str, refs: Iterable[PushedRef]) -> dict[str, str]:
    """Each run the lock at ``path`` pins in the pushed commits, with the
    commit that pins it (the first one seen)."""
    from repro.lineage.lock import parse_lock

    runs: dict[str, str] = {}
    for ref in refs:
        if ref.deletes:
            continue
        for commit in _commits(tree, ref, path):
            text = file_at(tree, commit, path)
            if text is None:
                continue
            lock = parse_lock(text, f"{path} in commit {commit[:12]}")
            for entry in lock.pipelines.values():
                runs.setdefault(entry.run, commit)
    return runs


def _commits(tree: Workdir, ref: PushedRef, path: str) -> list[str]:
    """The pushed tip, and the commits the remote lacks that change ``path``
    (for a new branch, or a remote ahead of us: those no remote-tracking
    branch holds)."""
    known = (
        not _zero(ref.remote_oid) and tree.run("cat-file", "-e", f"{ref.remote_oid}^{{commit}}").ok
    )
    exclude = [ref.remote_oid] if known else ["--remotes"]
    out = tree.check("rev-list", ref.local_oid, "--not", *exclude, "--", path).decode()
    return list(dict.fromkeys([ref.local_oid, *out.split()]))


def push_pinned_runs(project: Project, tree: Workdir, refs: list[PushedRef]) -> PrePushOutcome:
    try:
        return _push(project, tree, refs)
    except ReproError as exc:
        raise PrePushFailedError(str(exc)) from exc


def _push(project: Project, tree: Workdir, refs: list[PushedRef]) -> PrePushOutcome:
    from repro.lineage.runs import RunIndex
    from repro.remotes import get_remote
    from repro.runner.sync import push_runs

    runs = sorted(pinned_runs(tree, lock_path(project, tree), refs))
    if not runs:
        return PrePushOutcome()
    if not project.config.remotes:
        return PrePushOutcome(runs, note=_no_remote_note(runs))
    remote = get_remote(project.config)
    index = RunIndex(project.repro_dir)
    here = [run for run in runs if index.has(run)]
    absent = _not_on_remote(project, remote.name, [run for run in runs if run not in here])
    if absent:
        raise RunsNotPushedError(absent, remote.name)
    if not here:
        return PrePushOutcome(runs, remote.name)
    outcome = push_runs(project, here, remote=remote.name)
    return PrePushOutcome(runs, remote.name, outcome.report.moved)


def _no_remote_note(runs: list[str]) -> str:
    return (
        f"no repro remote is configured: the {len(runs)} run(s) repro.lock pins stay on this "
        "machine only; add one with 'repro remote add --default NAME URL'"
    )


def _not_on_remote(project: Project, name: str, runs: list[str]) -> list[str]:
    """Of runs not recorded here, those the remote does not list either."""
    if not runs:
        return []
    from repro.remotes import get_remote, remote_errors
    from repro.runner.sync import RUNS_DIR

    remote = get_remote(project.config, name)
    with remote_errors(remote):
        backend = remote.backend(project.config.core.hash)
        return [run for run in runs if not backend.exists(f"{RUNS_DIR}/{run}")]
