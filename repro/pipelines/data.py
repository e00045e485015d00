"""Declared data inputs and model outputs of a pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from repro.errors import UsageError
from repro.safepaths import UnsafePathError, check_uri

__all__ = ["DATASET_MODES", "Dataset", "DatasetMode", "InvalidDatasetError", "Model"]

DatasetMode = Literal["copy", "reference"]
DATASET_MODES: Final[tuple[str, ...]] = get_args(DatasetMode)


class InvalidDatasetError(UsageError, ValueError):
    def __init__(self, uri: object, reason: str) -> None:
        self.uri = uri
        super().__init__(f"Dataset({uri!r}): {reason}")


@dataclass(frozen=True)
class Dataset:
    """A file, folder or fsspec URL that the run snapshots before any step
    reads it; a step receives it as a local ``pathlib.Path``. A local path
    is relative to the project root.

    ``mode`` says how a URL is pinned: ``"copy"`` stores its content in the
    object store (an exact replay is guaranteed), ``"reference"`` records
    each object's size, ETag and version id without copying it (a replay
    reads the recorded versions, or fails naming what moved on)."""

    uri: str
    mode: DatasetMode = "copy"

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or not self.uri:
            raise InvalidDatasetError(self.uri, "give a path or URL")
        try:
            check_uri(self.uri)
        except UnsafePathError as exc:
            raise InvalidDatasetError(
                self.uri, f"a local dataset must be inside the project ({exc.reason})"
            ) from None
        if self.mode not in DATASET_MODES:
            choices = " or ".join(repr(mode) for mode in DATASET_MODES)
            raise InvalidDatasetError(self.uri, f"mode must be {choices}, not {self.mode!r}")
        if self.mode == "reference" and not self.is_remote:
            raise InvalidDatasetError(
                self.uri,
                "mode='reference' is for URLs (s3://bucket/prefix/); a local dataset is "
                "always copied, so leave mode out",
            )

    @property
    def is_remote(self) -> bool:
        return "://" in self.uri and not self.uri.startswith("file://")


@dataclass(frozen=True)
class Model:
    """Registers one output of each run as a version of the model ``name``.

    ``step`` (and ``output``, for a step with several) pick the output; by
    default it is the last step's output stored by an estimator
    materializer."""

    name: str
    step: str | None = None
    output: str | None = None
