"""What goes into the default image's venv, as wheels gathered on the host.

The requirements are the project's lock when it has one; otherwise the
versions installed here of repro's dependency closure (its own
requirements and those of its extras that are installed, recursively),
pinned ``==``: the image then holds the environment the lock was made in,
so that a step gives the same bytes in a container as on the host. Extras
for developing repro itself (``dev``, ``test``…) and ``docker`` are left out.

Wheels are fetched with this interpreter's pip for the base image's Python
(``--python-version``, ``--implementation``, ``--platform``), binary only,
and cached under ``~/.cache/repro/wheelhouse/<key>`` (key: the
requirements and the target), since the download is the slow part.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from repro import __version__
from repro.images.errors import ImageNotFoundError, WheelhouseError

if TYPE_CHECKING:
    from importlib.metadata import Distribution

    from docker import DockerClient

__all__ = [
    "DIST_NAME",
    "EXCLUDED_EXTRAS",
    "TargetPython",
    "cache_root",
    "fill_wheelhouse",
    "installed_closure",
    "probe_python",
    "repro_source_root",
    "repro_wheel",
    "requirements_text",
    "target_python",
]

DIST_NAME = "repro-gitops"
# Extras a container never needs: tools for developing repro, and the Docker
# SDK (a step in a container drives no engine).
EXCLUDED_EXTRAS = frozenset({"dev", "test", "tests", "docs", "lint", "typing", "docker"})
OLDEST_MANYLINUX = 17  # manylinux_2_17 is manylinux2014, the oldest pip still fetches
Progress = Callable[[str], None]

_PROBE = (
    "import json, os, platform, sys; print(json.dumps({"
    "'version': '%d.%d' % sys.version_info[:2], 'implementation': sys.implementation.name, "
    "'machine': platform.machine(), 'libc': os.confstr('CS_GNU_LIBC_VERSION') or ''}))"
)


@dataclass(frozen=True)
class TargetPython:
    """The interpreter wheels are gathered for."""

    version: str  # "3.11"
    implementation: str  # "cp"
    platforms: tuple[str, ...]  # newest first

    def pip_args(self) -> list[str]:
        args = ["--python-version", self.version, "--implementation", self.implementation]
        for platform in self.platforms:
            args += ["--platform", platform]
        return args


def probe_python(client: DockerClient, base: str) -> TargetPython:
    """Ask the base image's ``python3`` what it is (no network)."""
    from docker.errors import APIError, ContainerError, ImageNotFound

    try:
        out = client.containers.run(
            base, ["python3", "-c", _PROBE], network_mode="none", remove=True
        )
    except ImageNotFound as exc:
        raise ImageNotFoundError(base, "no such image") from exc
    except ContainerError as exc:
        raise WheelhouseError(f"the Python of {base}", "python3 -c failed in it") from exc
    except APIError as exc:
        raise WheelhouseError(f"the Python of {base}", str(exc.explanation)) from exc
    return target_python(base, json.loads(out))


def target_python(base: str, facts: dict[str, str]) -> TargetPython:
    libc, machine = facts["libc"], facts["machine"]
    if facts["implementation"] != "cpython" or not libc.startswith("glibc "):
        found = f"{facts['implementation']} on {libc or 'a libc other than glibc'}"
        raise WheelhouseError(f"wheels for {base}", f"it needs CPython on glibc, not {found}")
    minor = int(libc.split()[1].split(".")[1])
    platforms = [f"manylinux_2_{m}_{machine}" for m in range(minor, OLDEST_MANYLINUX - 1, -1)]
    platforms.append(f"manylinux2014_{machine}")  # pip adds 2010 and 1 after it
    return TargetPython(facts["version"], "cp", tuple(platforms))


def installed_closure(dist: str = DIST_NAME) -> dict[str, str]:
    """``dist``'s requirements and those of its installed non-dev extras,
    recursively, as {name: installed version}; ``dist`` itself excluded."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.utils import canonicalize_name

    try:
        root = distribution(dist)
    except PackageNotFoundError as exc:
        raise WheelhouseError(f"{dist}'s requirements", f"{dist} is not installed") from exc
    found: dict[str, str] = {}
    pending = [(dist, frozenset(_installed_extras(root)))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        name, extras = pending.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        try:
            meta = distribution(name)
        except PackageNotFoundError:
            continue  # a requirement this environment lacks: the image's pip check says so
        found[str(meta.metadata["Name"])] = meta.version
        pending += _wanted(meta.requires or [], extras)
    return {k: v for k, v in found.items() if canonicalize_name(k) != canonicalize_name(dist)}


def _wanted(requires: Iterable[str], extras: frozenset[str]) -> list[tuple[str, frozenset[str]]]:
    from packaging.requirements import Requirement

    wanted = []
    for text in requires:
        req = Requirement(text)
        envs = [{"extra": e} for e in ("", *sorted(extras))]
        if req.marker is None or any(req.marker.evaluate(env) for env in envs):
            wanted.append((req.name, frozenset(req.extras)))
    return wanted


def _installed_extras(dist: Distribution) -> set[str]:
    """``dist``'s extras (but EXCLUDED_EXTRAS) every requirement of which is installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    installed = set()
    requires = [Requirement(text) for text in dist.requires or []]
    for extra in set(dist.metadata.get_all("Provides-Extra") or []) - EXCLUDED_EXTRAS:
        names = [
            r.name for r in requires if r.marker is not None and r.marker.evaluate({"extra": extra})
        ]
        try:
            for name in names:
                distribution(name)
        except PackageNotFoundError:
            continue
        installed.add(extra)
    return installed


def requirements_text(closure: dict[str, str]) -> str:
    return "".join(f"{name}=={version}\n" for name, version in sorted(closure.items()))


def cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "repro")


def fill_wheelhouse(requirements: str, target: TargetPython, progress: Progress) -> str:
    """The cached folder of wheels for ``requirements`` (text) on ``target``,
    with REQUIREMENTS_FILE inside; downloaded once per content, under a
    lock so that builds running at once wait for one download."""
    import fcntl

    from repro.images.dockerfile import REQUIREMENTS_FILE

    key = hashlib.sha256(json.dumps([requirements, target.pip_args()]).encode()).hexdigest()
    folder = os.path.join(cache_root(), "wheelhouse", key[:24])
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(os.path.join(folder, REQUIREMENTS_FILE)):
            progress(f"wheels: cached in {folder}")
            return folder
        partial = tempfile.mkdtemp(prefix=".partial-", dir=os.path.dirname(folder))
        try:
            _download(requirements, target, partial, progress)
            shutil.rmtree(folder, ignore_errors=True)  # a folder left without its list
            os.replace(partial, folder)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return folder


def _download(requirements: str, target: TargetPython, dest: str, progress: Progress) -> None:
    from repro.images.dockerfile import REQUIREMENTS_FILE

    reqs = os.path.join(dest, REQUIREMENTS_FILE)
    with open(reqs, "w", encoding="utf-8") as file:
        file.write(requirements)
    count = sum(1 for line in requirements.splitlines() if line.strip())
    progress(f"wheels: downloading {count} requirements for Python {target.version}")
    _pip(
        ["download", "--only-binary=:all:", "--dest", dest, *target.pip_args(), "-r", reqs],
        "wheels for the requirements",
    )


def repro_source_root() -> str | None:
    """The checkout repro runs from, if it runs from one (not an installed wheel)."""
    import repro

    root = os.path.dirname(os.path.dirname(os.path.abspath(repro.__file__)))
    try:
        with open(os.path.join(root, "pyproject.toml"), "rb") as file:
            name = tomllib.load(file).get("project", {}).get("name")
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return None
    return root if name == DIST_NAME else None


def repro_wheel(dest: str, progress: Progress) -> None:
    """Put repro's own wheel in ``dest``: built from the checkout repro runs
    from, else the released wheel of this version."""
    source = repro_source_root()
    what = f"repro's wheel ({DIST_NAME} {__version__})"
    progress(f"wheels: {what} from {source or 'the package index'}")
    if source is not None:
        _pip(["wheel", "--no-deps", "--wheel-dir", dest, source], what)
    else:
        spec = f"{DIST_NAME}=={__version__}"
        _pip(["download", "--no-deps", "--only-binary=:all:", "--dest", dest, spec], what)


def _pip(args: list[str], what: str) -> None:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise WheelhouseError(what, _pip_reason(done.stderr or done.stdout))


def _pip_reason(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    line = (errors or lines or ["pip failed"])[0]
    return line.removeprefix("ERROR: ")[:300]
