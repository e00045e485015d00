from __future__ import annotations

from pathlib import Path

import pytest
from repro_testing import git

from repro.gates.pinned import check_pinned, unhashed_requirements
from repro.project import Project, init_project

DIGEST = "sha256:" + "ab" * 32
PINNED = f"registry.example/proj@{DIGEST}"
HASHED = "pyyaml==6.0.2 \\\n    --hash=sha256:" + "cd" * 32 + "\n"
NO_LOCK = (
    ".: the Python environment has no lock file (uv.lock, pylock.toml, poetry.lock, or "
    "requirements*.txt with hashes): make one: `uv lock`, or "
    "`uv pip compile --generate-hashes -o requirements.txt`"
)


def _source(*lines: str) -> str:
    return "\n".join(lines) + "\ndef f() -> int:\n    return 1\n"


def _write(root: Path, files: dict[str, str], *, track: bool = True) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
        if track:
            git(root, "add", name)


def _lines(project: Project, files: dict[str, str]) -> list[str]:
    root = Path(project.root)
    _write(root, {"uv.lock": "version = 1\n", **files})
    return [finding.line for finding in check_pinned(project, cwd=str(root)).findings]


def test_a_project_with_a_lock_file_and_no_images_passes(project: Project) -> None:
    assert _lines(project, {}) == []


def test_a_project_image_by_tag_fails(project: Project) -> None:
    files = {"pyproject.toml": '[tool.repro]\nimage = "python:3.11"\n'}
    assert _lines(project, files) == [
        "pyproject.toml: [tool.repro] image 'python:3.11' is not pinned by digest: write "
        "NAME@sha256:… instead; `repro image resolve python:3.11` prints it "
        "(or `repro image build` records a pinned build)"
    ]


def test_a_project_image_by_digest_passes(project: Project) -> None:
    assert _lines(project, {"pyproject.toml": f'[tool.repro]\nimage = "{PINNED}"\n'}) == []


def test_a_step_image_by_tag_fails_with_its_line(project: Project) -> None:
    code = 'from repro import step\n\n\n@step(image="python:3.11")\ndef f() -> int:\n    return 1\n'
    assert _lines(project, {"steps/train.py": code}) == [
        "steps/train.py:4: image 'python:3.11' of step(...) is not pinned by digest: write "
        "NAME@sha256:… instead; `repro image resolve python:3.11` prints it"
    ]


def test_an_image_named_by_a_module_constant_is_checked(project: Project) -> None:
    code = _source("import repro", "", 'IMAGE = "base"', "", "", "@repro.pipeline(image=IMAGE)")
    [line] = _lines(project, {"flow.py": code})
    assert line.startswith("flow.py:6: image 'base' of pipeline(...) is not pinned by digest")


def test_a_shell_step_image_is_checked(project: Project) -> None:
    code = 'from repro import sh\n\n\ndef p() -> None:\n    sh("true", image="alpine")\n'
    [line] = _lines(project, {"flow.py": code})
    assert line.startswith("flow.py:5: image 'alpine' of sh(...)")


def test_images_by_digest_pass(project: Project) -> None:
    code = f'from repro import step\n\n\n@step(image="{PINNED}")\ndef f() -> int:\n    return 1\n'
    assert _lines(project, {"flow.py": code}) == []


def test_an_invalid_reference_fails_saying_why(project: Project) -> None:
    code = 'from repro import step\n\n\n@step(image="Bad Image")\ndef f() -> int:\n    return 1\n'
    [line] = _lines(project, {"flow.py": code})
    assert "image 'Bad Image' of step(...) is not an image reference (" in line


def test_a_computed_image_is_noted_not_judged(project: Project) -> None:
    code = _source("import os", "from repro import step", "", "", '@step(image=os.environ["I"])')
    _write(Path(project.root), {"uv.lock": "", "flow.py": code})
    result = check_pinned(project, cwd=project.root)
    assert result.passed
    assert result.notes == ("flow.py:5: the image of step(...) is computed; not checked",)


def test_files_git_does_not_track_are_not_judged(project: Project) -> None:
    code = 'from repro import step\n\n\n@step(image="python")\ndef f() -> int:\n    return 1\n'
    _write(Path(project.root), {"scratch.py": code}, track=False)
    assert _lines(project, {}) == []


def test_no_python_lock_file_fails(project: Project) -> None:
    result = check_pinned(project, cwd=project.root)
    assert [finding.line for finding in result.findings] == [NO_LOCK]


def test_requirements_without_hashes_fail(project: Project) -> None:
    _write(Path(project.root), {"requirements.txt": f"{HASHED}numpy==2.0\n"})
    [finding] = check_pinned(project, cwd=project.root).findings
    assert finding.line == (
        "requirements.txt: 1 requirement(s) carry no --hash (first: numpy==2.0): regenerate it "
        "with hashes: `uv pip compile --generate-hashes -o requirements.txt`"
    )


def test_requirements_with_hashes_pass(project: Project) -> None:
    _write(Path(project.root), {"requirements.txt": f"--index-url https://x\n# c\n{HASHED}"})
    assert check_pinned(project, cwd=project.root).passed


@pytest.mark.parametrize("name", ["uv.lock", "pylock.toml", "poetry.lock"])
def test_a_lock_file_of_a_locking_tool_passes(project: Project, name: str) -> None:
    _write(Path(project.root), {name: "# locked\n"})
    assert check_pinned(project, cwd=project.root).passed


def test_an_editable_requirement_counts_as_unhashed(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(f"-e ./pkg\n{HASHED}")
    assert unhashed_requirements(str(tmp_path / "requirements.txt")) == ["-e ./pkg"]


def test_outside_git_every_python_file_is_read(tmp_path: Path) -> None:
    project = init_project(str(tmp_path), no_scm=True).project
    files = {"uv.lock": "", "flow.py": _source("from repro import step", '@step(image="python")')}
    files[".venv/lib/site.py"] = _source("from repro import step", '@step(image="skipped")')
    _write(tmp_path, files, track=False)
    [finding] = check_pinned(project, cwd=str(tmp_path)).findings
    assert finding.where == "flow.py:2"
