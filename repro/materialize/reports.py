"""Drift reports (``repro.drift.DriftReport``) as canonical JSON.

The stored form is the report's ``repro.drift/v1`` dict, so the same report
gives the same bytes in every process and a replay can verify it; its HTML
page is rendered from it on demand (``repro drift show RUN -o page.html``)
rather than stored, since the rendering may improve without the data
changing. ``repro.drift`` is imported only to load one back.
"""

from __future__ import annotations

from repro.hashing import CanonicalizationError, canonical_dumps, canonical_loads
from repro.materialize.base import BytesMaterializer

__all__ = ["DRIFT_REPORT_MATERIALIZER", "DriftReportMaterializer"]

DRIFT_REPORT_MATERIALIZER = "drift.report"
_MODULE, _CLASS = "repro.drift.report", "DriftReport"


class DriftReportMaterializer(BytesMaterializer):
    name = DRIFT_REPORT_MATERIALIZER
    version = "1"

    def handles(self, value: object) -> bool:
        # By the class's name, so that asking about any other value imports nothing.
        return any(
            cls.__module__ == _MODULE and cls.__qualname__ == _CLASS for cls in type(value).__mro__
        )

    def to_bytes(self, value: object) -> bytes:
        from repro.drift.report import DriftReport  # imported already: value is one

        assert isinstance(value, DriftReport)
        try:
            return canonical_dumps(value.to_dict())
        except CanonicalizationError as exc:
            raise self.refuse(value, exc.reason) from exc

    def from_bytes(self, data: bytes) -> object:
        from repro.drift.report import DriftReport

        # InvalidDriftReportError and CanonicalizationError are ValueErrors:
        # the load names the artifact.
        return DriftReport.from_dict(canonical_loads(data))
