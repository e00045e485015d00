"""Argo Workflows: a planned run compiled to a Workflow (or a schedule to a
CronWorkflow) from hera's typed models, linted before it is written, and
submitted to and followed through the Argo Server API. Pure: this package
knows manifests and the server, never the runner."""
