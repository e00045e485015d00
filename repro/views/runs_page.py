"""The runs list: newest first, filtered by pipeline, tag, commit and status,
a page at a time.

Unfiltered, a page costs one listing of the runs folder and the loading of
that page's records, however many runs there are. Filtered, every record is
judged by its digest (``repro.views.run_summaries``: the filter fields only,
kept in memory until the record changes), and again only the page's records
are loaded.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, get_args

from repro.errors import UsageError
from repro.experiments.filters import RunFilter
from repro.lineage.lock import LOCK_FILE, LockInvalidError, LockNewerSchemaError, read_lock
from repro.lineage.records import RunRecord, RunStatus
from repro.lineage.runs import RunIndex
from repro.views.formats import short_oid
from repro.views.paging import Paged
from repro.views.run_summaries import RunDigest, run_digests

if TYPE_CHECKING:
    from repro.project import Project

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "STATUSES",
    "InvalidPageError",
    "RunRow",
    "RunsPage",
    "RunsQuery",
    "StepCounts",
    "page_number",
    "recent_runs",
    "run_row",
    "runs_page",
]

DEFAULT_PER_PAGE: Final = 50
MAX_PER_PAGE: Final = 500
STATUSES: Final[tuple[str, ...]] = get_args(RunStatus)
_FILTERS: Final = ("pipeline", "tag", "commit", "status")
# ASCII digits only (str.isdigit() takes "²", which int() refuses), and few
# enough that int() is cheap and the number means something.
_NUMBER: Final = re.compile(r"[0-9]{1,9}")


class InvalidPageError(UsageError, ValueError):
    def __init__(self, name: str, value: str, reason: str) -> None:
        self.name, self.value, self.reason = name, value, reason
        super().__init__(f"{name} {value!r}: {reason}")


@dataclass(frozen=True)
class RunsQuery:
    """What the runs list is asked for; a blank filter is no filter."""

    pipeline: str | None = None
    tag: str | None = None  # KEY=VALUE, set by the run or one of its steps
    commit: str | None = None  # a commit id or a prefix of one
    status: str | None = None
    page: int = 1  # beyond the last page: the last page
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def parse(cls, values: Mapping[str, str]) -> RunsQuery:
        """A query from a request's parameters (strings; unknown ones ignored)."""
        return cls(
            pipeline=_text(values, "pipeline"),
            tag=_text(values, "tag"),
            commit=_text(values, "commit"),
            status=_text(values, "status"),
            page=page_number(values, "page", 1),
            per_page=page_number(values, "per_page", DEFAULT_PER_PAGE),
        )

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) for name in _FILTERS)

    def run_filter(self) -> RunFilter:
        """The filter this query means; a malformed value is an
        ``InvalidRunFilterError`` naming it."""
        tags = [self.tag] if self.tag else []
        return RunFilter.parse(
            pipeline=self.pipeline, tags=tags, commit=self.commit, status=self.status
        )

    def parameters(self, page: int | None = None) -> dict[str, str]:
        """The query as a page address's parameters, on ``page`` if given."""
        found = {name: value for name in _FILTERS if (value := getattr(self, name))}
        if self.per_page != DEFAULT_PER_PAGE:
            found["per_page"] = str(self.per_page)
        if page is not None and page != 1:
            found["page"] = str(page)
        return found


def _text(values: Mapping[str, str], name: str) -> str | None:
    return values.get(name, "").strip() or None


def page_number(values: Mapping[str, str], name: str, default: int) -> int:
    """Parameter ``name`` of a request (a page, a count a page) as a number;
    ``default`` when blank."""
    text = values.get(name, "").strip()
    if not text:
        return default
    if _NUMBER.fullmatch(text) is None:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise InvalidPageError(name, shown, "expected a whole number (at most 9 digits)")
    return int(text)


@dataclass(frozen=True)
class StepCounts:
    executed: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, record: RunRecord) -> StepCounts:
        counts = Counter(step.status for step in record.steps.values())
        return cls(counts["executed"], counts["cached"], counts["failed"], counts["skipped"])


@dataclass(frozen=True)
class RunRow:
    id: str
    pipeline: str
    status: str
    created: str
    finished: str | None
    commit: str | None  # the whole id; ``commit_short`` is what a list shows
    branch: str | None
    dirty: bool
    backend: str
    steps: StepCounts
    tags: tuple[tuple[str, str], ...]  # the run's and its steps', sorted
    replay_of: str | None
    verdict: str | None  # a replay's verification: identical or different

    @property
    def commit_short(self) -> str:
        return short_oid(self.commit)


def run_row(record: RunRecord) -> RunRow:
    tags = set(record.tags.items())
    for step in record.steps.values():
        tags.update(step.tags.items())
    verification = record.verification
    return RunRow(
        id=record.id,
        pipeline=record.pipeline,
        status=record.status,
        created=record.created,
        finished=record.finished,
        commit=record.git.commit,
        branch=record.git.branch,
        dirty=record.git.dirty,
        backend=record.backend,
        steps=StepCounts.of(record),
        tags=tuple(sorted(tags)),
        replay_of=record.replay_of,
        verdict=verification.verdict if verification else None,
    )


@dataclass(frozen=True)
class RunsPage(Paged):
    query: RunsQuery
    rows: tuple[RunRow, ...]
    total: int  # runs matching the query, on every page
    page: int  # the page shown: the one asked for, or the last
    pages: int  # at least 1, even with no runs
    pipelines: tuple[str, ...]  # for the filter form
    statuses: tuple[str, ...] = STATUSES


def runs_page(project: Project, query: RunsQuery) -> RunsPage:
    """One page of the runs ``query`` selects, newest first."""
    _check_paging(query)
    run_filter = query.run_filter()
    digests = run_digests(project) if query.filtered else None
    ids = _ids(project) if digests is None else _matching(digests, run_filter)
    pages = max(1, math.ceil(len(ids) / query.per_page))
    page = min(query.page, pages)
    start = (page - 1) * query.per_page
    rows = _rows(project, ids[start : start + query.per_page])
    return RunsPage(
        query=query,
        rows=rows,
        total=len(ids),
        page=page,
        pages=pages,
        pipelines=_pipelines(project, query, rows, digests),
    )


def recent_runs(project: Project, count: int = DEFAULT_PER_PAGE) -> tuple[RunRow, ...]:
    """The latest ``count`` runs, newest first."""
    return _rows(project, _ids(project)[:count])


def _check_paging(query: RunsQuery) -> None:
    if query.page < 1:
        raise InvalidPageError("page", str(query.page), "pages count from 1")
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        reason = f"expected 1 to {MAX_PER_PAGE} runs a page"
        raise InvalidPageError("per_page", str(query.per_page), reason)


def _ids(project: Project) -> list[str]:
    # Run ids sort by the time they were made.
    return RunIndex(project.repro_dir).ids()[::-1]


def _matching(digests: list[RunDigest], run_filter: RunFilter) -> list[str]:
    return [digest.id for digest in digests if _matches(digest, run_filter)]


def _matches(digest: RunDigest, run_filter: RunFilter) -> bool:
    commit, prefix = digest.commit, run_filter.commit
    return (
        run_filter.pipeline in (None, digest.pipeline)
        and run_filter.status in (None, digest.status)
        and (prefix is None or (commit is not None and commit.startswith(prefix)))
        and all(tag in digest.tags for tag in run_filter.tags)
    )


def _rows(project: Project, ids: list[str]) -> tuple[RunRow, ...]:
    index = RunIndex(project.repro_dir)
    return tuple(run_row(index.load(run_id)) for run_id in ids)


def _pipelines(
    project: Project, query: RunsQuery, rows: tuple[RunRow, ...], digests: list[RunDigest] | None
) -> tuple[str, ...]:
    """The pipelines to offer: those of every run when they were all read
    (a filtered query); else, not to read them all for one page, those the
    lock names and those on the page. The one asked for is always offered."""
    names = {row.pipeline for row in rows} | _locked_pipelines(project)
    names.update(digest.pipeline for digest in digests or ())
    if query.pipeline:
        names.add(query.pipeline)
    return tuple(sorted(names))


def _locked_pipelines(project: Project) -> set[str]:
    try:
        lock = read_lock(os.path.join(project.root, LOCK_FILE))
    except (LockInvalidError, LockNewerSchemaError):
        return set()  # the pipelines on offer are a convenience; the runs list still works
    return set(lock.pipelines) if lock else set()
