"""The history of promotions, read from Git: every commit that changed
models.yaml, with its author and date, and which aliases it moved.

One ``git log -p`` with a context as large as the file gives each commit's
whole file before and after, so the change is computed on the parsed
files (alias by alias), not guessed from diff lines.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, Final

from repro.models.errors import ModelsFileInvalidError, ModelsFileNewerSchemaError
from repro.models.modelsfile import ModelsFile, Promotion, parse_models_file

__all__ = ["AliasChange", "HistoryEntry", "models_file_log", "parse_log", "promotion_history"]

_FORMAT: Final = "%x00%H%x1f%an%x1f%ae%x1f%aI%x1f%s"
_WHOLE_FILE: Final = 1_000_000  # lines of context: the file before and after, whole


@dataclass(frozen=True)
class AliasChange:
    model: str
    alias: str
    old: str | None  # the version it pointed to before, None when new
    new: str | None  # the version it points to after, None when removed
    run: str | None  # the run of the new version


@dataclass(frozen=True)
class HistoryEntry:
    commit: str
    author: str
    email: str
    date: str
    subject: str
    changes: tuple[AliasChange, ...]
    problem: str | None = None  # the file could not be read at this commit

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"changes": [asdict(change) for change in self.changes]}

    def about(self, model: str) -> HistoryEntry:
        kept = tuple(change for change in self.changes if change.model == model)
        return HistoryEntry(
            self.commit, self.author, self.email, self.date, self.subject, kept, self.problem
        )


def models_file_log(path: str) -> bytes:
    """``git log -p`` of the file at ``path``, newest commit first; nothing
    before the repository's first commit."""
    from repro.git.command import open_workdir
    from repro.git.facts import resolve_commit

    workdir = open_workdir(os.path.dirname(path))
    if resolve_commit(workdir, "HEAD") is None:
        return b""
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(workdir.root))
    return workdir.check(
        "log",
        f"--format={_FORMAT}",
        "-p",
        f"--unified={_WHOLE_FILE}",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--",
        relative,
    )


def promotion_history(path: str, model: str | None = None) -> list[HistoryEntry]:
    """The commits that changed the models file at ``path`` (only those
    touching ``model``, if given), newest first."""
    entries = parse_log(models_file_log(path), os.path.basename(path))
    if model is None:
        return entries
    about = (entry.about(model) for entry in entries)
    return [entry for entry in about if entry.changes or entry.problem]


def parse_log(out: bytes, name: str) -> list[HistoryEntry]:
    entries = []
    for chunk in out.decode("utf-8", "replace").split("\0")[1:]:
        header, _, patch = chunk.partition("\n")
        commit, author, email, date, subject = header.split("\x1f", 4)
        before, after = _sides(patch)
        changes, problem = _changes(before, after, f"{name} at {commit[:12]}")
        entries.append(HistoryEntry(commit, author, email, date, subject, changes, problem))
    return entries


def _sides(patch: str) -> tuple[str, str]:
    """The whole file before and after, from a patch with full context."""
    before: list[str] = []
    after: list[str] = []
    in_hunk = False
    for line in patch.split("\n"):
        if line.startswith("@@"):
            in_hunk = True
        elif in_hunk and line and line[0] in " -+":
            if line[0] != "+":
                before.append(line[1:])
            if line[0] != "-":
                after.append(line[1:])
    return "\n".join(before), "\n".join(after)


def _changes(before: str, after: str, where: str) -> tuple[tuple[AliasChange, ...], str | None]:
    try:
        old, new = parse_models_file(before, where), parse_models_file(after, where)
    except (ModelsFileInvalidError, ModelsFileNewerSchemaError) as exc:
        return (), str(exc)
    return _alias_changes(old, new), None


def _alias_changes(old: ModelsFile, new: ModelsFile) -> tuple[AliasChange, ...]:
    changes = []
    for model in sorted(set(old.models) | set(new.models)):
        was, now = old.aliases(model), new.aliases(model)
        for alias in sorted(set(was) | set(now)):
            if was.get(alias) != now.get(alias):
                changes.append(_change(model, alias, was.get(alias), now.get(alias)))
    return tuple(changes)


def _change(model: str, alias: str, was: Promotion | None, now: Promotion | None) -> AliasChange:
    return AliasChange(
        model,
        alias,
        was.version if was else None,
        now.version if now else None,
        now.run if now else None,
    )
