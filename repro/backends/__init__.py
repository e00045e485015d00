"""Where steps execute: one interface (``Backend``), a serialized run spec
as the only thing a backend receives, the same result from each."""

from repro.lazy import lazy_exports

__all__ = ["Backend", "RunSpec", "StepResult", "StepSpec", "open_backend"]

__getattr__ = lazy_exports(
    globals(),
    {
        "Backend": "repro.backends.base",
        "open_backend": "repro.backends.base",
        "RunSpec": "repro.backends.spec",
        "StepResult": "repro.backends.spec",
        "StepSpec": "repro.backends.spec",
    },
)
