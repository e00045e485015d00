"""The project's Argo settings, read from its pyproject.toml::

    [tool.repro.argo]
    namespace = "ml"                     # where workflows are made ("default")
    server = "https://argo.example:2746"  # the Argo Server (ARGO_SERVER wins)
    service-account = "repro"            # spec.serviceAccountName
    credentials-secret = "repro-s3"      # the Secret whose keys become the pods' env
    remote = "origin"                    # the store pods read and write (the default one)
    parallelism = 4                      # pods at once
    pod-gc = "OnPodSuccess"              # spec.podGC.strategy
    active-deadline = 86400              # seconds for the whole workflow
    cpu = "500m"                         # requests of a step that sets no cpus=
    memory = "1Gi"                       # ... and no memory=
    timezone = "Europe/Paris"            # of the schedules
    concurrency-policy = "Forbid"        # of a CronWorkflow

    [tool.repro.argo.schedules]          # per pipeline, besides @pipeline(schedule=)
    train = "0 3 * * *"

Only names live here: credentials stay in the Secret, the token in ARGO_TOKEN.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from repro.errors import UsageError

__all__ = ["ArgoSettings", "ArgoSettingsError", "load_argo_settings", "parse_argo_settings"]

POD_GC_STRATEGIES = (
    "OnPodCompletion",
    "OnPodSuccess",
    "OnWorkflowCompletion",
    "OnWorkflowSuccess",
)
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_QUANTITY = re.compile(r"\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?")


class ArgoSettingsError(UsageError, ValueError):
    def __init__(self, path: str, key: str, reason: str) -> None:
        self.path, self.key, self.reason = path, key, reason
        super().__init__(f"{path}: [tool.repro.argo] {key}: {reason}")


@dataclass(frozen=True)
class ArgoSettings:
    namespace: str = "default"
    server: str | None = None
    service_account: str | None = None
    credentials_secret: str | None = None
    remote: str | None = None
    parallelism: int | None = None
    pod_gc: str | None = None
    active_deadline: int | None = None
    cpu: str | None = None
    memory: str | None = None
    timezone: str | None = None
    concurrency_policy: str = "Forbid"
    schedules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def load_argo_settings(root: str) -> ArgoSettings:
    from repro.pyproject import tool_repro_table

    table = tool_repro_table(root).get("argo", {})
    return parse_argo_settings(table, os.path.join(root, "pyproject.toml"))


def parse_argo_settings(table: Any, path: str) -> ArgoSettings:
    if not isinstance(table, dict):
        raise ArgoSettingsError(path, "", "must be a table")
    readers = _readers()
    unknown = sorted(set(table) - set(readers))
    if unknown:
        raise ArgoSettingsError(path, unknown[0], f"unknown (known: {', '.join(sorted(readers))})")
    values = {readers[key][0]: readers[key][1](path, key, value) for key, value in table.items()}
    return ArgoSettings(**values)


def _readers() -> dict[str, tuple[str, Any]]:
    return {
        "namespace": ("namespace", _dns(_DNS_LABEL)),
        "server": ("server", _text),
        "service-account": ("service_account", _dns(_DNS_SUBDOMAIN)),
        "credentials-secret": ("credentials_secret", _dns(_DNS_SUBDOMAIN)),
        "remote": ("remote", _text),
        "parallelism": ("parallelism", _positive),
        "pod-gc": ("pod_gc", _choice(POD_GC_STRATEGIES)),
        "active-deadline": ("active_deadline", _positive),
        "cpu": ("cpu", _quantity),
        "memory": ("memory", _quantity),
        "timezone": ("timezone", _text),
        "concurrency-policy": ("concurrency_policy", _choice(("Allow", "Forbid", "Replace"))),
        "schedules": ("schedules", _schedules),
    }


def _text(path: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ArgoSettingsError(path, key, "give a non-empty string")
    return value.strip()


def _dns(pattern: re.Pattern[str]) -> Any:
    def read(path: str, key: str, value: Any) -> str:
        text = _text(path, key, value)
        if not pattern.fullmatch(text):
            raise ArgoSettingsError(
                path, key, f"{text!r} is not a Kubernetes name (lower case, digits, '-')"
            )
        return text

    return read


def _positive(path: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ArgoSettingsError(path, key, "give a positive whole number")
    return value


def _choice(choices: tuple[str, ...]) -> Any:
    def read(path: str, key: str, value: Any) -> str:
        if value not in choices:
            raise ArgoSettingsError(path, key, f"{value!r} is not one of {', '.join(choices)}")
        return str(value)

    return read


def _quantity(path: str, key: str, value: Any) -> str:
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _QUANTITY.fullmatch(text):
        raise ArgoSettingsError(path, key, f"{value!r} is not a quantity (like '500m', '2Gi')")
    return text


def _schedules(path: str, key: str, value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ArgoSettingsError(path, key, "must be a table of pipeline = cron expression(s)")
    found: dict[str, tuple[str, ...]] = {}
    for pipeline, given in value.items():
        crons = [given] if isinstance(given, str) else given
        if not isinstance(crons, list) or not crons or not all(isinstance(c, str) for c in crons):
            raise ArgoSettingsError(path, f"{key}.{pipeline}", "give a cron expression or a list")
        found[pipeline] = tuple(crons)
    return found
