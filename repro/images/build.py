"""``repro image build``: build the project's image with the Docker SDK, tag
it in the configured repository, push it when that names a registry, and
record the pinned reference in pyproject.toml.

Without a Dockerfile of the user's, the generated one (``dockerfile.py``) is
built from a temporary context holding the wheelhouse (``wheels.py``) and
repro's own wheel. A user's Dockerfile is built with the project root as
context, ``.dockerignore`` honoured and ``.repro/`` (the local cache) always
left out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro.errors import UsageError
from repro.images.errors import (
    ImageBuildError,
    ImageNotFoundError,
    ImagePushError,
    RegistryUnreachableError,
)
from repro.images.settings import DockerSettings, load_docker_settings, record_image

if TYPE_CHECKING:
    from docker import DockerClient

__all__ = ["BuildResult", "DockerfileNotFoundError", "build_image"]

Progress = Callable[[str], None]
CONTENT_TAG_LENGTH = 12
TAIL_LINES = 10
CONTEXT_DOCKERFILE = ".repro.Dockerfile"  # a user's Dockerfile, as sent in the context
ALWAYS_EXCLUDED = (".repro",)
# The engine's own lines between a step's output, not the step's output.
_ENGINE_NOISE = (" ---> ", "Removing intermediate container")
UNREACHABLE = ("connection refused", "no such host", "i/o timeout", "network is unreachable")


class DockerfileNotFoundError(UsageError, FileNotFoundError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"no Dockerfile at {path}; give an existing one with --file")


@dataclass(frozen=True)
class BuildResult:
    pinned: str  # NAME@sha256:…, recorded as [tool.repro] image
    image_id: str
    pushed: bool
    tagged: str  # REPOSITORY:TAG
    recorded_in: str  # the pyproject.toml written


def build_image(
    root: str,
    *,
    dockerfile: str | None = None,
    tag: str | None = None,
    push: bool = True,
    client: DockerClient,
    progress: Progress | None = None,
) -> BuildResult:
    """Build, tag (``tag``, else a short content tag), push when ``push``
    and the repository names a registry, and record the pin."""
    from repro.images.reference import parse_image_ref
    from repro.images.resolve import pin_image

    say = progress or (lambda _line: None)
    settings = load_docker_settings(root)
    if tag is not None:
        parse_image_ref(f"{settings.repository}:{tag}")  # a bad --tag fails before the build
    if dockerfile is not None:
        image_id = _build_user(client, root, dockerfile, say)
    else:
        image_id = _build_generated(client, root, settings, say)
    tag = tag or image_id.removeprefix("sha256:")[:CONTENT_TAG_LENGTH]
    tagged = _tag(client, image_id, settings.repository, tag)
    pushed = push and settings.registry is not None
    if pushed:
        _push(client, settings, tag, say)
    pinned = pin_image(tagged, client)
    return BuildResult(pinned, image_id, pushed, tagged, record_image(root, pinned))


def _build_user(client: DockerClient, root: str, dockerfile: str, say: Progress) -> str:
    from docker.utils.build import tar

    path = os.path.join(root, dockerfile)
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise DockerfileNotFoundError(path) from exc
    say(f"building {os.path.relpath(path, root)} (context {root})")
    excluded = [*_dockerignore(root), *ALWAYS_EXCLUDED]
    with tempfile.TemporaryFile() as context:
        tar(Path(root), exclude=excluded, dockerfile=(CONTEXT_DOCKERFILE, text), fileobj=context)
        context.seek(0)
        return _run_build(
            client, say, fileobj=context, custom_context=True, dockerfile=CONTEXT_DOCKERFILE
        )


def _dockerignore(root: str) -> list[str]:
    try:
        with open(os.path.join(root, ".dockerignore"), encoding="utf-8") as file:
            lines = [line.strip() for line in file]
    except FileNotFoundError:
        return []
    return [line for line in lines if line and not line.startswith("#")]


def _build_generated(
    client: DockerClient, root: str, settings: DockerSettings, say: Progress
) -> str:
    from repro.images.dockerfile import generated_dockerfile
    from repro.images.resolve import pin_image

    try:
        pin_image(settings.base, client)  # the base is here, or pulled, or a clear error
    except ImageNotFoundError as exc:
        remedy = "set [tool.repro.docker] base to an image you have"
        raise ImageNotFoundError(exc.ref, exc.reason, remedy) from exc
    with _generated_context(client, settings, say) as context:
        with open(os.path.join(context, "Dockerfile"), "w", encoding="utf-8") as file:
            file.write(generated_dockerfile(settings.base))
        say(f"building the generated Dockerfile FROM {settings.base}")
        return _run_build(client, say, path=context)


@contextmanager
def _generated_context(
    client: DockerClient, settings: DockerSettings, say: Progress
) -> Iterator[str]:
    """A temporary build context next to the wheel cache (so that wheels
    are hard-linked into it, not copied), removed afterwards."""
    from repro.images import wheels
    from repro.images.dockerfile import REPRO_WHEEL_DIR, WHEELHOUSE_DIR

    os.makedirs(wheels.cache_root(), exist_ok=True)
    folder = tempfile.mkdtemp(prefix="build-", dir=wheels.cache_root())
    try:
        target = wheels.probe_python(client, settings.base)
        house = wheels.fill_wheelhouse(_requirements(settings), target, say)
        _link_tree(house, os.path.join(folder, WHEELHOUSE_DIR))
        wheels.repro_wheel(os.path.join(folder, REPRO_WHEEL_DIR), say)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _requirements(settings: DockerSettings) -> str:
    from repro.images import wheels

    if settings.requirements is not None:
        with open(settings.requirements, encoding="utf-8") as file:
            return file.read()
    return wheels.requirements_text(wheels.installed_closure())


def _link_tree(source: str, dest: str) -> None:
    os.makedirs(dest)
    for name in sorted(os.listdir(source)):
        try:
            os.link(os.path.join(source, name), os.path.join(dest, name))
        except OSError:  # another file system, or links not allowed: copy
            shutil.copy2(os.path.join(source, name), os.path.join(dest, name))


def _run_build(client: DockerClient, say: Progress, **kwargs: Any) -> str:
    """Run a build, streaming its lines to ``say``; the image id, or
    ImageBuildError with the failing step's last lines."""
    from docker.errors import APIError

    step, tail = "", deque[str](maxlen=TAIL_LINES)
    image_id = None
    try:
        events = client.api.build(rm=True, forcerm=True, pull=False, decode=True, **kwargs)
        for event in events:
            for line in _lines(event.get("stream")):
                if line.startswith("Step "):
                    step = line
                    tail.clear()
                elif not line.startswith(_ENGINE_NOISE):
                    tail.append(line)
                say(line)
            if event.get("error"):
                raise _build_error(step, str(event["error"]), tail)
            image_id = (event.get("aux") or {}).get("ID", image_id)
    except APIError as exc:
        raise _build_error(step, str(exc.explanation or exc), tail) from exc
    if image_id is None:
        raise _build_error(step, "the engine reported no image", tail)
    return str(image_id)


def _lines(text: Any) -> Iterator[str]:
    if isinstance(text, str):
        yield from (line.rstrip() for line in text.splitlines() if line.strip())


def _build_error(step: str, error: str, tail: Iterable[str]) -> ImageBuildError:
    lines = tuple(tail)
    reason = " ".join(error.split())
    if lines:
        reason += f" (last output: {' '.join(lines[-1].split())[:200]})"
    # "Step 3/7 : RUN make" -> "step 3/7 (RUN make)"
    number, _, instruction = step.removeprefix("Step ").partition(" : ")
    label = f"step {number} ({instruction[:80]})" if step else ""
    return ImageBuildError(label, reason, lines)


def _tag(client: DockerClient, image_id: str, repository: str, tag: str) -> str:
    client.api.tag(image_id, repository, tag)
    return f"{repository}:{tag}"


def _push(client: DockerClient, settings: DockerSettings, tag: str, say: Progress) -> None:
    from docker.errors import APIError

    ref = f"{settings.repository}:{tag}"
    say(f"pushing {ref}")
    try:
        for event in client.api.push(settings.repository, tag=tag, stream=True, decode=True):
            if isinstance(event, dict) and event.get("error"):
                raise _push_error(settings, ref, str(event["error"]))
    except APIError as exc:
        raise _push_error(settings, ref, str(exc.explanation or exc)) from exc


def _push_error(settings: DockerSettings, ref: str, text: str) -> Exception:
    reason = " ".join(text.split())[:300]
    if any(s in reason.lower() for s in UNREACHABLE):
        return RegistryUnreachableError(str(settings.registry), reason)
    return ImagePushError(ref, reason)
