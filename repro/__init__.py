"""repro: any past pipeline run, replayed exactly, anywhere, with proof.

from repro import step, pipeline, Dataset, Model, log_metric, log_params, sh
"""

from repro.lazy import lazy_exports

__version__ = "0.1.0"

__all__ = [
    "Dataset",
    "Model",
    "__version__",
    "log_artifact",
    "log_metric",
    "log_params",
    "log_tags",
    "pipeline",
    "sh",
    "step",
    "when",
]

__getattr__ = lazy_exports(
    globals(),
    {
        "Dataset": "repro.pipelines.data",
        "Model": "repro.pipelines.data",
        "pipeline": "repro.pipelines.definition",
        "sh": "repro.pipelines.steps",
        "step": "repro.pipelines.steps",
        "when": "repro.pipelines.conditions",
        "log_metric": "repro.tracking",
        "log_params": "repro.tracking",
        "log_tags": "repro.tracking",
        "log_artifact": "repro.tracking",
    },
)
