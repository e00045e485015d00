"""The Docker backend: each step runs ``repro step-exec`` in a container of
its pinned image. The project is mounted read-only at its own path (the
replay worktree, for a replay), the local object store read-write, and a
per-step folder carries the inputs in and the result out; outputs reach the
runner only as ids in the store. No network unless the step asks, its CPU
and memory limits applied, its output streamed live and kept in the store."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repro.backends.base import Backend
from repro.backends.execute import ExecutionContext
from repro.backends.spec import SECRETS_ENV, RunSpec, StepResult, StepSpec

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

__all__ = ["DockerBackend", "LogSink", "container_failure"]

LogSink = Callable[[str, str], None]  # (step, line)

# Kept in the record's log object; a step that prints gigabytes keeps its tail.
LOG_LIMIT = 8 * 1024 * 1024


@dataclass(frozen=True)
class Mounts:
    project: str  # the project (its run index and config), read-only
    root: str  # where the code and data are read: the project, or a replay's worktree
    store: str  # the local object store, read-write
    extra: tuple[str, ...] = ()  # folders outside the project a step reads

    def read_only(self) -> list[str]:
        return sorted({self.project, self.root, *self.extra})


class DockerBackend(Backend):
    name = "docker"

    def __init__(
        self,
        context: ExecutionContext,
        jobs: int = 1,
        *,
        project_root: str,
        store_dir: str,
        secrets: Mapping[str, Mapping[str, Any]] | None = None,
        extra_mounts: Iterable[str] = (),
        on_log: LogSink | None = None,
        scrub: Callable[[str], str] = lambda text: text,
        client: DockerClient | None = None,
    ) -> None:
        from repro.images.engine import docker_client

        self.context = context
        self.client = client or docker_client()
        self.mounts = Mounts(project_root, context.root, store_dir, tuple(extra_mounts))
        os.makedirs(store_dir, exist_ok=True)  # a bind mount needs its source
        self.secrets = dict(secrets or {})
        self.on_log = on_log
        self.scrub = scrub  # secrets a step prints never reach a screen or the store
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="repro-docker")
        self.running: dict[str, Container] = {}
        self.lock = threading.Lock()
        self.closing = False
        self.image_ids: dict[str, str] = {}

    def submit(
        self, run: RunSpec, step: StepSpec, inputs: Mapping[str, Mapping[str, Any]]
    ) -> Future[StepResult]:
        return self.pool.submit(self._execute, run, step, dict(inputs))

    def close(self, *, wait: bool = True) -> None:
        if not wait:
            # Ctrl-C: nothing may outlive the run; finished steps are kept
            # by the runner, which has their results already. A container
            # created from now on is removed as it registers.
            with self.lock:
                self.closing = True
                in_flight = list(self.running.values())
            for container in in_flight:
                _remove(container)
        self.pool.shutdown(wait=wait, cancel_futures=True)

    def _register(self, name: str, container: Container) -> bool:
        with self.lock:
            if not self.closing:
                self.running[name] = container
                return True
        _remove(container)
        return False

    def _execute(
        self, run: RunSpec, step: StepSpec, inputs: dict[str, Mapping[str, Any]]
    ) -> StepResult:
        from docker.errors import DockerException
        from requests.exceptions import RequestException

        from repro.errors import ReproError

        folder = tempfile.mkdtemp(prefix=f"repro-docker-{run.run_id}-{step.name}-")
        try:
            return self._in_container(run, step, inputs, folder)
        except ReproError as exc:  # the image is gone
            return StepResult(step.name, "failed", error=str(exc))
        except (DockerException, RequestException) as exc:  # the engine went away
            return StepResult(step.name, "failed", error=f"Docker engine: {_explanation(exc)}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _in_container(
        self, run: RunSpec, step: StepSpec, inputs: dict[str, Mapping[str, Any]], folder: str
    ) -> StepResult:
        from repro.atomic import write_atomic

        write_atomic(os.path.join(folder, "inputs.json"), json.dumps(inputs).encode())
        result_path = os.path.join(folder, "result.json")
        if self.closing:
            return StepResult(step.name, "failed", error="interrupted")
        container = self._create(run, step, folder)
        log = bytearray()
        if not self._register(step.name, container):
            return StepResult(step.name, "failed", error="interrupted")
        try:
            container.start()
            streamer = threading.Thread(
                target=self._stream, args=(container, step.name, log), daemon=True
            )
            streamer.start()
            status, failure = self._wait(container, step)
            streamer.join(timeout=10)
        finally:
            with self.lock:
                self.running.pop(step.name, None)
            _remove(container)
        result = _read_result(result_path, step.name)
        if failure is not None or result is None:
            result = StepResult(
                step.name, "failed", error=failure or _no_result(status, bytes(log))
            )
        if log:
            kept = bytes(log[-LOG_LIMIT:]).decode("utf-8", "replace")
            result.log = self.context.store.write(self.scrub(kept).encode())
        return result

    def _create(self, run: RunSpec, step: StepSpec, folder: str) -> Container:
        from docker.errors import APIError
        from docker.types import Mount

        from repro.backends.errors import ContainerStartError

        assert step.image is not None, "images are pinned before a container run"
        image = self._image_id(step.image)
        command = ["repro", "step-exec", run.run_id, step.name]
        command += ["--inputs", os.path.join(folder, "inputs.json")]
        command += ["--result", os.path.join(folder, "result.json")]
        if self.mounts.root != self.mounts.project:
            command += ["--work-root", self.mounts.root]
        if step.kind == "shell":
            command.append("--scratch-tree")
        mounts = [
            Mount(path, path, type="bind", read_only=True) for path in self.mounts.read_only()
        ]
        mounts += [
            Mount(self.mounts.store, self.mounts.store, type="bind"),
            Mount(folder, folder, type="bind"),
        ]
        environment = {"HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
        command += ["--store", self.mounts.store]
        if step.name in self.secrets:
            environment[SECRETS_ENV] = json.dumps(self.secrets[step.name])
        try:
            return self.client.containers.create(
                image,
                command,
                working_dir=self.mounts.project,
                user=f"{os.getuid()}:{os.getgid()}",
                group_add=[str(group) for group in os.getgroups()],
                environment=environment,
                mounts=mounts,
                network_mode="bridge" if step.network else "none",
                nano_cpus=int(step.cpus * 1e9) if step.cpus else None,
                mem_limit=step.memory,
                memswap_limit=step.memory,  # no swap: over the limit is an OOM kill
                init=True,
                labels={"repro.run": run.run_id, "repro.step": step.name},
                detach=True,
            )
        except APIError as exc:
            raise ContainerStartError(step.name, step.image, _explanation(exc)) from exc

    def _image_id(self, pinned: str) -> str:
        from repro.images.resolve import local_image_id

        with self.lock:
            known = self.image_ids.get(pinned)
        if known is None:
            known = local_image_id(pinned, self.client)
            with self.lock:
                self.image_ids[pinned] = known
        return known

    def _stream(self, container: Container, step: str, log: bytearray) -> None:
        from docker.errors import DockerException

        pending = b""
        try:
            for chunk in container.logs(stream=True, follow=True):
                log.extend(chunk)
                if len(log) > 2 * LOG_LIMIT:
                    del log[:-LOG_LIMIT]
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._emit(step, line)
        except DockerException:
            return  # removed under us (Ctrl-C)
        if pending:
            self._emit(step, pending)

    def _emit(self, step: str, line: bytes) -> None:
        if self.on_log is not None:
            self.on_log(step, self.scrub(line.decode("utf-8", "replace").rstrip("\r")))

    def _wait(self, container: Container, step: StepSpec) -> tuple[int, str | None]:
        """The exit status, and why the step failed when the container (not
        the step's code) is to blame: a timeout, an OOM kill, Ctrl-C."""
        from docker.errors import DockerException
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import ReadTimeout

        try:
            status = int(container.wait(timeout=step.timeout)["StatusCode"])
        except (ReadTimeout, RequestsConnectionError):
            if self.closing:
                return -1, "interrupted"
            _kill(container)
            return -1, f"timed out after {step.timeout:g} s; container killed"
        except DockerException:
            return -1, "interrupted" if self.closing else "the container vanished"
        if self.closing:
            return status, "interrupted"
        return status, container_failure(container, status, step.memory)


def container_failure(container: Container, status: int, memory: int | None) -> str | None:
    from docker.errors import DockerException

    try:
        container.reload()
        oom = bool(container.attrs.get("State", {}).get("OOMKilled"))
    except DockerException:
        oom = False
    if oom:
        limit = f" (limit {_size(memory)})" if memory else ""
        return f"killed: out of memory{limit}"
    if status in (137, 143):
        return f"killed by signal {status - 128}"
    return None


def _size(count: int | None) -> str:
    value = float(count or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:g} {unit}"
        value /= 1024
    return f"{value:g} GiB"


def _read_result(path: str, step: str) -> StepResult | None:
    try:
        with open(path, encoding="utf-8") as file:
            return StepResult.from_dict(json.load(file))
    except (OSError, ValueError, TypeError):
        return None


def _no_result(status: int, log: bytes) -> str:
    # The last line that says something (not the border of a rich panel).
    lines = bytes(log).decode("utf-8", "replace").splitlines()
    last = next((line.strip(" │") for line in reversed(lines) if _has_words(line)), "")
    return f"container exited with status {status}" + (f": {last[:300]}" if last else "")


def _has_words(line: str) -> bool:
    return any(char.isalnum() for char in line)


def _explanation(exc: Exception) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    return str(text).splitlines()[0][:300]


def _kill(container: Container) -> None:
    from docker.errors import DockerException

    with contextlib.suppress(DockerException):
        container.kill()


def _remove(container: Container) -> None:
    from docker.errors import DockerException

    with contextlib.suppress(DockerException):
        container.remove(force=True)
