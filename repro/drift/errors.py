"""What goes wrong comparing two data frames, in one line each."""

from __future__ import annotations

from collections.abc import Sequence

from repro.errors import ReproError, UsageError

__all__ = [
    "ColumnMismatchError",
    "DriftDependencyError",
    "DriftReportVersionError",
    "EmptyDataError",
    "EvidentlyUnavailableError",
    "InvalidDetectorResultError",
    "InvalidDriftReportError",
    "InvalidThresholdsError",
    "NotAFrameError",
    "UnexpectedEvidentlyResultError",
    "UnknownColumnError",
    "UnsupportedColumnError",
]


def _names(columns: Sequence[str]) -> str:
    return ", ".join(repr(column) for column in columns)


class ColumnMismatchError(ReproError, ValueError):
    """The reference and the current frame do not have the same columns."""

    def __init__(self, missing: Sequence[str], extra: Sequence[str]) -> None:
        self.missing = list(missing)  # in the reference, not in the current frame
        self.extra = list(extra)  # in the current frame, not in the reference
        parts = []
        if self.missing:
            parts.append(f"missing from the current frame: {_names(self.missing)}")
        if self.extra:
            parts.append(f"not in the reference: {_names(self.extra)}")
        super().__init__(
            f"the frames have different columns ({'; '.join(parts)}); compare frames with "
            "the same columns, or name the ones to compare with columns=[...]"
        )


class NotAFrameError(UsageError, TypeError):
    def __init__(self, which: str, type_name: str) -> None:
        self.which = which
        self.type_name = type_name
        super().__init__(
            f"the {which} data is a {type_name}; give a pandas DataFrame (pd.DataFrame(...))"
        )


class UnknownColumnError(UsageError, KeyError):
    """``columns=`` names a column that neither frame has."""

    def __init__(self, columns: Sequence[str], available: Sequence[str]) -> None:
        self.columns = list(columns)
        self.available = list(available)
        super().__init__(
            f"no column {_names(self.columns)} in the frames (they have {_names(self.available)})"
        )

    def __str__(self) -> str:
        # KeyError would print the message quoted.
        return str(self.args[0])


class EmptyDataError(ReproError, ValueError):
    """A frame (or one of the compared columns) with nothing to compare."""

    def __init__(self, which: str, column: str | None = None) -> None:
        self.which = which  # "reference" or "current"
        self.column = column
        what = f"the {which} frame is empty"
        if column is not None:
            what = f"column {column!r} of the {which} frame has only missing values"
        super().__init__(f"cannot detect drift: {what}; give data with values to compare")


class UnsupportedColumnError(ReproError, TypeError):
    """A column whose type no drift test applies to."""

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(
            f"cannot detect drift in column {column!r}: {reason}; convert it to numbers or "
            "categories, or leave it out with columns=[...]"
        )


class InvalidThresholdsError(UsageError, ValueError):
    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"invalid drift setting {field}={value!r}: give {expected}")


class InvalidDetectorResultError(ReproError, ValueError):
    """A detector that did not return one result per column it was asked about."""

    def __init__(self, detector: str, missing: Sequence[str], extra: Sequence[str]) -> None:
        self.detector = detector
        self.missing = list(missing)
        self.extra = list(extra)
        super().__init__(
            f"drift detector {detector!r} returned no result for {_names(self.missing) or '-'} "
            f"and unasked (or repeated) results for {_names(self.extra) or '-'}; leave those "
            "columns out with columns=[...], or use another detector"
        )


class InvalidDriftReportError(ReproError, ValueError):
    """A stored drift report that is malformed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid drift report: {reason}")


class DriftReportVersionError(InvalidDriftReportError):
    """A drift report written by a newer repro."""

    def __init__(self, found: str, supported: str) -> None:
        self.found = found
        self.supported = supported
        ReproError.__init__(
            self,
            f"the drift report has format {found}, this repro reads {supported}: upgrade repro",
        )
        self.reason = f"format {found}"


class DriftDependencyError(ReproError, ImportError):
    """pandas or scipy, which the statistical tests need, is not installed."""

    def __init__(self, module: str) -> None:
        self.module = module
        super().__init__(
            f"drift detection needs {module}, which is not installed: "
            "pip install 'repro-gitops[ml]'"
        )


class EvidentlyUnavailableError(ReproError, ImportError):
    """Evidently is missing, or installed but cannot be imported here."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"cannot use Evidently for drift detection ({reason}): install it with "
            "pip install 'repro-gitops[drift]' in an environment whose pandas it supports, "
            "or use the built-in StatisticalDetector"
        )


class UnexpectedEvidentlyResultError(ReproError, ValueError):
    """Evidently returned a result this adapter does not know how to read."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"cannot read Evidently's drift result: {reason}; this Evidently version may "
            "not be supported (use evidently>=0.4, or the built-in StatisticalDetector)"
        )
