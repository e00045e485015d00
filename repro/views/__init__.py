"""What the UI's pages and the HTML report show, as plain data built from
run records, the store and the models file: nothing here knows of the web,
so every page's content is testable without a server."""

from __future__ import annotations

__all__: list[str] = []
