"""``repro ui`` and ``repro report``: a read-only web app and self-contained
HTML reports over one project's run records and store.

Flask (the ``ui`` extra) is imported only here; the data each page shows
comes from :mod:`repro.views`, which knows nothing of the web.
"""

from __future__ import annotations

__all__: list[str] = []
