"""Run, replay, status: planning the DAG against the cache, handing ready
steps to a backend, writing each result as it arrives, the record and the
lock."""

from repro.lazy import lazy_exports

__all__ = ["RunOptions", "pipeline_status", "replay_run", "run_target"]

__getattr__ = lazy_exports(
    globals(),
    {
        "RunOptions": "repro.runner.run",
        "run_target": "repro.runner.run",
        "replay_run": "repro.runner.replay",
        "pipeline_status": "repro.runner.status",
    },
)
