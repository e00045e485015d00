"""The model registry: versions of each ``Model(name=...)`` are run outputs
identified by object id; aliases (``production``) live in the committed
``models.yaml``, so that a promotion is a reviewed change and Git's history
says who promoted what, when, from which run.

- ``list_versions``: every version, newest first, with its aliases;
- ``show_model``: a version's lineage (run, commit, image, data snapshots,
  params, metrics) and the model's promotion history from ``git log``;
- ``get_model``: write a version's bytes to a path;
- ``promote``: point an alias at a version (``force`` to move it).
"""

from repro.lazy import lazy_exports

__all__ = [
    "MODELS_FILE",
    "AliasTakenError",
    "AliasTargetMissingError",
    "AmbiguousVersionError",
    "Fetched",
    "HistoryEntry",
    "InvalidAliasError",
    "Lineage",
    "ListedVersion",
    "ModelBytesMissingError",
    "ModelDetails",
    "ModelOutputExistsError",
    "ModelsFileInvalidError",
    "ModelsFileNewerSchemaError",
    "PromoteResult",
    "UnknownModelError",
    "UnknownVersionError",
    "Version",
    "get_model",
    "list_versions",
    "promote",
    "promotion_history",
    "show_model",
]

__getattr__ = lazy_exports(
    globals(),
    {
        "MODELS_FILE": "repro.models.modelsfile",
        "AliasTakenError": "repro.models.errors",
        "AliasTargetMissingError": "repro.models.errors",
        "AmbiguousVersionError": "repro.models.errors",
        "Fetched": "repro.models.get",
        "HistoryEntry": "repro.models.history",
        "InvalidAliasError": "repro.models.errors",
        "Lineage": "repro.models.lineage",
        "ListedVersion": "repro.models.queries",
        "ModelBytesMissingError": "repro.models.errors",
        "ModelDetails": "repro.models.queries",
        "ModelOutputExistsError": "repro.models.errors",
        "ModelsFileInvalidError": "repro.models.errors",
        "ModelsFileNewerSchemaError": "repro.models.errors",
        "PromoteResult": "repro.models.promotion",
        "UnknownModelError": "repro.models.errors",
        "UnknownVersionError": "repro.models.errors",
        "Version": "repro.models.versions",
        "get_model": "repro.models.get",
        "list_versions": "repro.models.queries",
        "promote": "repro.models.promotion",
        "promotion_history": "repro.models.history",
        "show_model": "repro.models.queries",
    },
)
