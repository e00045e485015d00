"""The committed versions of ``repro.lock`` that ``repro gc`` keeps runs for:
the lock of every branch (local and remote-tracking), tag, HEAD and the Git
index, and with ``all_commits`` of every commit that changed it.

Read with Git plumbing in three processes whatever the history's length:
``for-each-ref`` (and ``log``) to name the versions, ``cat-file
--batch-check`` to turn them into blob ids, ``cat-file --batch`` to read
each distinct blob once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from repro.lineage.lock import LOCK_FILE, LockFile, parse_lock

__all__ = ["LockVersion", "committed_locks"]

_REFS = ("refs/heads", "refs/tags", "refs/remotes")


@dataclass(frozen=True)
class LockVersion:
    where: str  # the first place this version was found: a ref, a commit, the index
    lock: LockFile


def committed_locks(project_root: str, *, all_commits: bool) -> list[LockVersion]:
    """Every distinct committed (or staged) version of the project's lock.
    A project outside Git has none. A version that cannot be parsed is an
    error naming where it is: gc cannot know which runs it keeps."""
    from repro.git.command import open_workdir
    from repro.git.errors import NotInGitError

    try:
        workdir = open_workdir(project_root)
    except NotInGitError:
        return []
    path = _lock_path(workdir.root, project_root)
    git = _Git(workdir.root, str(workdir.repo.git.GIT_PYTHON_GIT_EXECUTABLE or "git"))
    places = {":": "the Git index", "HEAD": "HEAD"}
    places.update((ref, ref) for ref in git.lines("for-each-ref", "--format=%(refname)", *_REFS))
    if all_commits:
        history = git.lines("--literal-pathspecs", "log", "--all", "--format=%H", "--", path)
        places.update((commit, f"commit {commit[:12]}") for commit in history)
    specs = {f"{rev}:{path}" if rev != ":" else f":{path}": where for rev, where in places.items()}
    blobs = _blob_ids(git, list(specs))
    first: dict[str, str] = {}
    for spec, oid in blobs.items():
        first.setdefault(oid, specs[spec])
    texts = git.blobs(list(first))
    return [
        LockVersion(where, parse_lock(texts[oid].decode("utf-8", "replace"), f"{path} at {where}"))
        for oid, where in first.items()
    ]


def _lock_path(git_root: str, project_root: str) -> str:
    """The lock's path in the repository: the project may sit in a subfolder."""
    inside = os.path.relpath(os.path.realpath(project_root), os.path.realpath(git_root))
    return LOCK_FILE if inside == "." else f"{inside.replace(os.sep, '/')}/{LOCK_FILE}"


def _blob_ids(git: _Git, specs: list[str]) -> dict[str, str]:
    """spec -> blob id, for the specs that name a blob."""
    found = {}
    out = git.run(["cat-file", "--batch-check"], "".join(f"{spec}\n" for spec in specs))
    for spec, line in zip(specs, out.decode("utf-8", "replace").splitlines(), strict=True):
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob":
            found[spec] = parts[0]
    return found


class _Git:
    def __init__(self, root: str, executable: str) -> None:
        self.root = root
        self.executable = executable

    def run(self, args: list[str], stdin: str = "") -> bytes:
        import subprocess

        from repro.git.command import first_error_line
        from repro.git.errors import GitCommandFailedError, GitNotInstalledError

        try:
            done = subprocess.run(
                [self.executable, *args],
                cwd=self.root,
                input=stdin.encode(),
                capture_output=True,
                check=False,
            )
        except FileNotFoundError as exc:
            raise GitNotInstalledError(str(exc)) from exc
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace")
            raise GitCommandFailedError(tuple(args), done.returncode, first_error_line(stderr))
        return done.stdout

    def lines(self, *args: str) -> list[str]:
        return [line for line in self.run(list(args)).decode().splitlines() if line]

    def blobs(self, oids: list[str]) -> dict[str, bytes]:
        """The content of each blob, from one ``cat-file --batch``."""
        out = self.run(["cat-file", "--batch"], "".join(f"{oid}\n" for oid in oids))
        found, position = {}, 0
        for oid in oids:
            end = out.index(b"\n", position)
            _, _, size = out[position:end].decode().split()
            start = end + 1
            found[oid] = out[start : start + int(size)]
            position = start + int(size) + 1  # the content is followed by a newline
        return found
