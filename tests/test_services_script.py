"""scripts/services.sh as a user who cannot install or start anything: it
starts nothing, says in one line per missing part how to start it, and
exits 0 so that the suite runs and those tests skip with that reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "services.sh"
NOBODY = 65534


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A folder any user can enter (pytest's own is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="repro-services-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def run_unprivileged(tmp_path: Path, *parts: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The script run by a user with no rights (nobody, when the tests run as
    root), from a copy any user can read."""
    script = tmp_path / "services.sh"
    shutil.copy(SCRIPT, script)
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    command = [*(drop if os.geteuid() == 0 else []), "bash", str(script), *parts]
    return subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_missing_browser_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    done = run_unprivileged(tmp_path, "chromium", REPRO_CHROMIUM=str(tmp_path / "no-browser"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"services: Chromium (the browser tests): not available; REPRO_CHROMIUM="
        f"{tmp_path / 'no-browser'} is not an executable: point it at a browser or unset it"
    ]


def test_an_unreachable_engine_is_one_line_and_nothing_is_started(tmp_path: Path) -> None:
    socket = tmp_path / "no-docker.sock"
    done = run_unprivileged(tmp_path, "docker", DOCKER_HOST=f"unix://{socket}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "services: a Docker engine (the Docker tests): not available; "
        "as root: bash scripts/services.sh"
    ]
    assert not socket.exists()


def test_an_unknown_part_is_refused_before_anything_runs(tmp_path: Path) -> None:
    done = run_unprivileged(tmp_path, "chromium", "nonsense")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "services: unknown part nonsense (known: venv chromium strace docker)\n"
