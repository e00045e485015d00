"""``repro image show``: the configured image and settings, no engine needed."""

from __future__ import annotations

from pathlib import Path

from cli_testing import one_line_error, run_repro
from repro_testing import git

from repro.project import init_project

PINNED = "127.0.0.1:5000/proj@sha256:" + "b" * 64


def project(root: Path, pyproject: str) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    init_project(str(root))
    (root / "pyproject.toml").write_text(pyproject)
    return root


def test_show_says_a_pinned_image_is_pinned(tmp_path: Path) -> None:
    root = project(tmp_path / "proj", f'[tool.repro]\nimage = "{PINNED}"\n')
    result = run_repro(root, "image", "show")
    assert result.out.splitlines()[0] == f"image        {PINNED} (pinned)"


def test_show_says_a_tag_is_not_pinned(tmp_path: Path) -> None:
    root = project(tmp_path / "proj", '[tool.repro]\nimage = "proj:v1"\n')
    result = run_repro(root, "image", "show")
    assert "proj:v1 (not pinned: `repro image resolve` prints its digest)" in result.out


def test_show_without_an_image_says_how_to_make_one(tmp_path: Path) -> None:
    root = project(tmp_path / "proj", "")
    assert "none (`repro image build` makes one" in run_repro(root, "image", "show").out


def test_show_json_holds_every_setting(tmp_path: Path) -> None:
    root = project(
        tmp_path / "proj",
        f'[tool.repro]\nimage = "{PINNED}"\n[tool.repro.docker]\n'
        'base = "python:3.11"\nrepository = "127.0.0.1:5000/proj"\n',
    )
    (root / "requirements.txt").write_text("xxhash==3.4.1\n")
    assert run_repro(root, "image", "show", "--json").json() == {
        "image": PINNED,
        "pinned": True,
        "base": "python:3.11",
        "repository": "127.0.0.1:5000/proj",
        "registry": "127.0.0.1:5000",
        "requirements": str(root / "requirements.txt"),
    }


def test_show_of_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    root = project(tmp_path / "proj", "[tool.repro.docker]\nrepo = 1\n")
    result = run_repro(root, "image", "show")
    assert "[tool.repro.docker] repo: unknown" in one_line_error(result) and result.code == 2
