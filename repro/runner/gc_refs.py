"""The committed versions of ``repro.lock`` and ``models.yaml`` that
``repro gc`` keeps runs for: each file as every branch (local and
remote-tracking), tag, HEAD and the Git index hold it, and with
``all_commits`` as every commit that changed it holds it.

Both files are read with Git plumbing in three processes whatever the
history's length: ``for-each-ref`` (and ``log``) to name the versions,
``cat-file --batch-check`` to turn them into blob ids, ``cat-file --batch``
to read each distinct blob once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from repro.lineage.lock import LOCK_FILE, LockFile, parse_lock
from repro.models.modelsfile import MODELS_FILE, ModelsFile, parse_models_file

__all__ = [
    "CommittedRoots",
    "LockVersion",
    "ModelsVersion",
    "committed_locks",
    "committed_roots",
]

_REFS = ("refs/heads", "refs/tags", "refs/remotes")


@dataclass(frozen=True)
class LockVersion:
    where: str  # the first place this version was found: a ref, a commit, the index
    lock: LockFile


@dataclass(frozen=True)
class ModelsVersion:
    where: str  # as for LockVersion
    models: ModelsFile


@dataclass(frozen=True)
class CommittedRoots:
    locks: list[LockVersion]
    models: list[ModelsVersion]


def committed_roots(project_root: str, *, all_commits: bool) -> CommittedRoots:
    """Every distinct committed (or staged) version of the project's lock
    and of its ``models.yaml`` (whose promotions name runs too). A project
    outside Git has none. A version that cannot be parsed is an error
    naming where it is: gc cannot know which runs it keeps."""
    texts = _committed_texts(project_root, (LOCK_FILE, MODELS_FILE), all_commits)
    return CommittedRoots(
        locks=[
            LockVersion(where, parse_lock(text, f"{path} at {where}"))
            for where, path, text in texts.get(LOCK_FILE, [])
        ],
        models=[
            ModelsVersion(where, parse_models_file(text, f"{path} at {where}"))
            for where, path, text in texts.get(MODELS_FILE, [])
        ],
    )


def committed_locks(project_root: str, *, all_commits: bool) -> list[LockVersion]:
    """The lock's versions alone (see ``committed_roots``)."""
    return committed_roots(project_root, all_commits=all_commits).locks


def _committed_texts(
    project_root: str, names: tuple[str, ...], all_commits: bool
) -> dict[str, list[tuple[str, str, str]]]:
    """Per file name of the project: (where, path in the repository, text)
    of each distinct version; nothing outside Git."""
    from repro.git.command import open_workdir
    from repro.git.errors import NotInGitError

    try:
        workdir = open_workdir(project_root)
    except NotInGitError:
        return {}
    paths = {name: _project_path(workdir.root, project_root, name) for name in names}
    git = _Git(workdir.root, str(workdir.repo.git.GIT_PYTHON_GIT_EXECUTABLE or "git"))
    places = {":": "the Git index", "HEAD": "HEAD"}
    places.update((ref, ref) for ref in git.lines("for-each-ref", "--format=%(refname)", *_REFS))
    if all_commits:
        history = git.lines(
            "--literal-pathspecs", "log", "--all", "--format=%H", "--", *paths.values()
        )
        places.update((commit, f"commit {commit[:12]}") for commit in history)
    specs: dict[str, tuple[str, str]] = {}  # rev:path -> (name, where)
    for name, path in paths.items():
        for rev, where in places.items():
            specs[f"{rev}:{path}" if rev != ":" else f":{path}"] = (name, where)
    first: dict[tuple[str, str], str] = {}  # (name, blob) -> where first found
    for spec, oid in _blob_ids(git, list(specs)).items():
        name, where = specs[spec]
        first.setdefault((name, oid), where)
    texts = git.blobs(sorted({oid for _, oid in first}))
    found: dict[str, list[tuple[str, str, str]]] = {}
    for (name, oid), where in first.items():
        text = texts[oid].decode("utf-8", "replace")
        found.setdefault(name, []).append((where, paths[name], text))
    return found


def _project_path(git_root: str, project_root: str, name: str) -> str:
    """The path of the project's file ``name`` in the repository: the
    project may sit in a subfolder."""
    inside = os.path.relpath(os.path.realpath(project_root), os.path.realpath(git_root))
    return name if inside == "." else f"{inside.replace(os.sep, '/')}/{name}"


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
