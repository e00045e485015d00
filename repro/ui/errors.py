"""Failures a user of ``repro ui`` can cause before a page is served."""

from __future__ import annotations

from repro.errors import ReproError

__all__ = ["HostUnavailableError", "PortInUseError", "UiDependencyError"]


class UiDependencyError(ReproError, ImportError):
    def __init__(self, module: str) -> None:
        self.module = module
        super().__init__(f"the UI needs {module}: pip install 'repro-gitops[ui]'")


class PortInUseError(ReproError, OSError):
    def __init__(self, host: str, port: int, free: int | None) -> None:
        self.host = host
        self.port = port
        self.free = free
        hint = f"try --port {free}" if free else "choose another with --port"
        super().__init__(f"port {port} on {host} is already in use; {hint}")


class HostUnavailableError(ReproError, OSError):
    def __init__(self, host: str, reason: str) -> None:
        self.host = host
        self.reason = reason
        super().__init__(f"cannot listen on {host!r}: {reason}; the default is 127.0.0.1")
