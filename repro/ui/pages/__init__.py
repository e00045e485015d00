"""One module per page of the UI, each exporting ``blueprint``; the app
registers every module found here, so a new page touches no other file."""

from __future__ import annotations

__all__: list[str] = []
