"""The pager every paged listing shares (runs, a tree's files)."""

from __future__ import annotations

__all__ = ["Paged"]


class Paged:
    """Mixed into a listing's dataclass, which has the fields ``page`` (the
    page shown, from 1) and ``pages`` (at least 1)."""

    page: int
    pages: int

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None
