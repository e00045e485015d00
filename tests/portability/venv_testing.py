"""Real virtual environments for the portability tests, made without a
network: the distributions installed in the test interpreter are packed
back into wheels (their files as RECORD lists them, a fresh RECORD), and
pip installs them into empty venvs with ``--no-index``. repro itself is
packed as installed, so an editable install stays editable (its ``.pth``
names this checkout) and pip writes the ``repro`` script from its entry
points, as ``pip install -e . --no-deps`` would."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from importlib.metadata import Distribution, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name

__all__ = ["make_venv", "requirement_closure", "wheelhouse"]

REPRO = "repro-gitops"
# Written by the installer, not part of a wheel.
_INSTALLER_FILES = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


def requirement_closure(name: str) -> dict[str, Distribution]:
    """``name`` and its requirements (no extras), recursively, as installed here."""
    found: dict[str, Distribution] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        key = str(canonicalize_name(current))
        if key in found:
            continue
        found[key] = distribution(current)
        for text in found[key].requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


def wheelhouse(names: Iterable[str], dest: Path) -> Path:
    """A folder of wheels of the installed distributions ``names`` and
    everything they require."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Distribution] = {}
    for name in names:
        wanted.update(requirement_closure(name))
    for dist in wanted.values():
        _repack(dist, dest)
    return dest


def make_venv(path: Path, wheels: Path, packages: Iterable[str]) -> Path:
    """A virtual environment at ``path`` (no system site-packages) holding
    ``packages`` from ``wheels``; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(path / "bin" / "python")]
    options = ["--no-index", "--no-compile", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "install", *options, "--find-links", str(wheels), *packages],
        check=True,
        capture_output=True,
    )
    return path / "bin"


def _repack(dist: Distribution, dest: Path) -> Path:
    base = Path(str(dist.locate_file("")))
    info = base / next(
        f.parent for f in dist.files or [] if f.name == "WHEEL" and f.parent.suffix == ".dist-info"
    )
    name = str(canonicalize_name(dist.metadata["Name"])).replace("-", "_")
    wheel = dest / f"{name}-{dist.version}-{_tag(info)}.whl"
    rows = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for file in dist.files or []:
            rel = file.as_posix()
            if rel.startswith("../") or "__pycache__/" in rel or _installer_file(rel):
                continue  # scripts (pip writes them from entry points) and caches
            data = (base / rel).read_bytes()
            archive.writestr(rel, data)
            rows.append((rel, _record_hash(data), str(len(data))))
        record = f"{info.name}/RECORD"
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([*rows, (record, "", "")])
        archive.writestr(record, text.getvalue())
    return wheel


def _installer_file(rel: str) -> bool:
    folder, _, name = rel.rpartition("/")
    return folder.endswith(".dist-info") and name in _INSTALLER_FILES


def _tag(info: Path) -> str:
    """The first tag of the wheel this interpreter supports."""
    supported = {str(tag) for tag in sys_tags()}
    lines = (info / "WHEEL").read_text().splitlines()
    tags = [line.partition(":")[2].strip() for line in lines if line.startswith("Tag:")]
    return next(tag for tag in tags if tag in supported)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"
