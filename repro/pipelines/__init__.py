"""The pipeline API: steps, pipelines, datasets, models, fingerprints."""

from repro.lazy import lazy_exports

__all__ = [
    "Dataset",
    "Graph",
    "Model",
    "Pipeline",
    "Step",
    "pipeline",
    "sh",
    "step",
]

__getattr__ = lazy_exports(
    globals(),
    {
        "Dataset": "repro.pipelines.data",
        "Model": "repro.pipelines.data",
        "Graph": "repro.pipelines.graph",
        "Pipeline": "repro.pipelines.definition",
        "pipeline": "repro.pipelines.definition",
        "Step": "repro.pipelines.steps",
        "sh": "repro.pipelines.steps",
        "step": "repro.pipelines.steps",
    },
)
