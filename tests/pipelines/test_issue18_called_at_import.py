"""A pipeline called at module level: while repro imports the module (``repro
run``), the error names the user's file and line and says that the call
must go; outside repro, a plain call says to use ``repro run``, as before.
Any other failed import names the user's line, never repro's."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_testing import cli, commit_all, dedent

from repro.errors import UsageError
from repro.usercode import (
    CalledAtImportError,
    UserCodeImportError,
    forget_project_modules,
    import_user_module,
)

CALLED_AT_IMPORT = dedent(
    """
    from repro import pipeline, step


    @step
    def train(n: int) -> int:
        return n * 2


    @pipeline
    def ml_pipeline(n: int = 3) -> None:
        train(n)


    ml_pipeline()
    """
)
CALL_LINE = 14

CALLED_UNDER_MAIN = CALLED_AT_IMPORT.replace(
    "\nml_pipeline()\n", '\nif __name__ == "__main__":\n    ml_pipeline()\n'
)

SHELL_STEP_AT_IMPORT = dedent(
    """
    from repro import sh

    sh("echo hi > out.txt", outs=["out.txt"])
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A folder of user modules, forgotten (and off sys.path) afterwards."""
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    yield root
    forget_project_modules(str(root), unlist=True)


def test_repro_run_names_the_users_line_and_says_the_call_must_go(git_repo: Path) -> None:
    (git_repo / "run.py").write_text(CALLED_AT_IMPORT)
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "project")
    done = cli(git_repo, "run", "run.py:ml_pipeline")
    assert done.code == 1
    assert done.err == (
        f"error: run.py, line {CALL_LINE} calls pipeline 'ml_pipeline' at import time: "
        'under `repro run` that call must go (or go under `if __name__ == "__main__":`)\n'
    )
    assert list((git_repo / ".repro").glob("runs/*.json")) == []


def test_the_call_is_named_by_its_path_in_the_project(project: Path) -> None:
    (project / "pipelines" / "__init__.py").write_text("")
    (project / "pipelines" / "ml.py").write_text(CALLED_AT_IMPORT)
    with pytest.raises(CalledAtImportError) as raised:
        import_user_module(str(project), "pipelines.ml")
    error = raised.value
    assert (error.what, error.file, error.line) == (
        "pipeline 'ml_pipeline'",
        "pipelines/ml.py",
        CALL_LINE,
    )


def test_a_call_under_main_is_not_made_when_repro_imports(project: Path) -> None:
    (project / "run.py").write_text(CALLED_UNDER_MAIN)
    module = import_user_module(str(project), "run")
    assert module.ml_pipeline.name == "ml_pipeline"


def test_outside_repro_a_plain_call_still_says_to_use_repro_run(project: Path) -> None:
    (project / "run.py").write_text(CALLED_UNDER_MAIN)
    module = import_user_module(str(project), "run")
    with pytest.raises(UsageError, match=r"is run by repro: `repro run FILE.py:ml_pipeline`$"):
        module.ml_pipeline()


def test_python_run_py_still_says_to_use_repro_run(project: Path) -> None:
    (project / "run.py").write_text(CALLED_UNDER_MAIN)
    done = subprocess.run(
        [sys.executable, "run.py"], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "repro.errors.UsageError: pipeline 'ml_pipeline' is run by repro: "
        "`repro run FILE.py:ml_pipeline`"
    )


def test_an_error_raised_by_repro_at_import_names_the_users_line(project: Path) -> None:
    (project / "flow.py").write_text(SHELL_STEP_AT_IMPORT)
    with pytest.raises(UserCodeImportError) as raised:
        import_user_module(str(project), "flow")
    assert str(raised.value) == (
        "importing flow.py failed: NotInPipelineError: repro.sh can only be called inside "
        "a @pipeline function (flow.py, line 3)"
    )
