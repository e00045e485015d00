"""Files read while the pipeline module is imported (a ``params.yaml`` read
at module level, DVC users' habit) are pinned in the lock and the record,
checked by the no-op fast path and by the slow path, and named when they
change; a replay imports the pipeline inside its own worktree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pipeline_testing import cli, commit_all, dedent, run_json, statuses

SHELL_PIPELINE = dedent(
    """
    import yaml
    from repro import pipeline, sh
    P = yaml.safe_load(open("params.yaml"))

    @pipeline
    def p() -> None:
        sh("grep n: params.yaml > out.txt", name="use", outs=["out.txt"], params={"n": P["n"]})
    """
)

PYTHON_DEFAULT = dedent(
    """
    import yaml
    from repro import pipeline, step
    P = yaml.safe_load(open("params.yaml"))

    @step
    def use(n: int) -> int:
        return n * 10

    @pipeline
    def p(n: int = P["n"]) -> None:
        use(n)
    """
)

# A value built at import time that no fingerprint can hash (not JSON):
# only the file it was read from can say that it changed.
OPAQUE_CONFIG = dedent(
    """
    class Config:
        def __init__(self, text: str) -> None:
            self.factor = int(text)

    CONFIG = Config(open("factor.txt").read())
    """
)
OPAQUE_PIPELINE = dedent(
    """
    import settings
    from repro import pipeline, step

    @step
    def scaled() -> int:
        return 7 * settings.CONFIG.factor

    @step
    def constant() -> int:
        return 7

    @pipeline
    def p() -> None:
        scaled()
        constant()
    """
)


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text)
    assert cli(root, "init").code == 0
    commit_all(root, "project")
    return root


def set_n(root: Path, n: int) -> None:
    (root / "params.yaml").write_text(f"n: {n}\n")
    commit_all(root, f"n: {n}")


def run(root: Path, *args: str) -> dict[str, object]:
    doc = run_json(root, "pipeline.py:p", *args)
    commit_all(root, "run")
    return doc


def output_value(root: Path, run_id: str, step: str) -> str:
    shown = cli(root, "runs", "show", run_id, "--json")
    assert shown.code == 0, shown
    return str(shown.json()["steps"][step]["outputs"]["output"]["oid"])


@pytest.fixture
def shell_project(git_repo: Path) -> Path:
    return project(git_repo, {"pipeline.py": SHELL_PIPELINE, "params.yaml": "n: 1\n"})


def test_the_lock_pins_what_the_module_read(shell_project: Path) -> None:
    run(shell_project)
    lock = yaml.safe_load((shell_project / "repro.lock").read_text())
    assert list(lock["pipelines"]["p"]["imports"]) == ["params.yaml"]


def test_a_changed_import_time_file_is_stale_and_re_executes(shell_project: Path) -> None:
    run(shell_project)
    set_n(shell_project, 2)
    status = cli(shell_project, "status", "pipeline.py:p")
    assert status.code == 0
    assert "stale    use: param n: 1 -> 2; import-time input params.yaml changed" in status.out
    frozen = cli(shell_project, "run", "pipeline.py:p", "--frozen")
    assert frozen.code == 1, frozen
    assert "import-time input params.yaml changed" in frozen.out
    doc = run(shell_project)
    assert statuses(doc) == {"use": "executed"}
    assert (shell_project / "out.txt").read_text() == "n: 2\n"
    assert "up to date" in cli(shell_project, "run", "pipeline.py:p").out


def test_an_unchanged_import_time_file_keeps_the_no_op(shell_project: Path) -> None:
    doc = run(shell_project)
    again = cli(shell_project, "run", "pipeline.py:p")
    assert again.code == 0
    assert again.out.endswith(f"p: up to date, 1 steps cached (run {doc['run']})\n")
    runs = cli(shell_project, "runs", "list", "--json").json()
    assert [entry["id"] for entry in runs] == [doc["run"]]


def test_a_pipeline_default_read_at_import_time(git_repo: Path) -> None:
    root = project(git_repo, {"pipeline.py": PYTHON_DEFAULT, "params.yaml": "n: 1\n"})
    first = run(root)
    set_n(root, 2)
    status = cli(root, "status", "pipeline.py:p").out
    assert "stale    use: import-time input params.yaml changed; param n: 1 -> 2" in status
    second = run(root)
    assert statuses(second) == {"use": "executed"}
    assert output_value(root, str(second["run"]), "use") != output_value(
        root, str(first["run"]), "use"
    )


def test_a_value_no_fingerprint_can_hash_goes_stale_with_its_file(git_repo: Path) -> None:
    root = project(
        git_repo,
        {"pipeline.py": OPAQUE_PIPELINE, "settings.py": OPAQUE_CONFIG, "factor.txt": "2"},
    )
    run(root)
    (root / "factor.txt").write_text("3")
    commit_all(root, "factor 3")
    status = cli(root, "status", "pipeline.py:p").out
    assert "stale    scaled: import-time input factor.txt changed" in status
    # The step whose code reaches nothing that read the file stays fresh.
    assert "constant" not in status
    doc = run(root)
    assert statuses(doc) == {"scaled": "executed", "constant": "cached"}


def test_a_file_read_for_the_first_time_is_named(git_repo: Path) -> None:
    root = project(
        git_repo,
        {"pipeline.py": OPAQUE_PIPELINE, "settings.py": OPAQUE_CONFIG, "factor.txt": "2"},
    )
    run(root)
    (root / "settings.py").write_text(
        OPAQUE_CONFIG.replace('open("factor.txt")', 'open("factor2.txt")')
    )
    (root / "factor2.txt").write_text("2")
    commit_all(root, "another file")
    status = cli(root, "status", "pipeline.py:p").out
    assert "import-time input factor.txt is no longer read" in status
    assert "import-time input factor2.txt is new" in status


def test_a_replay_imports_inside_its_worktree_and_poisons_nothing(shell_project: Path) -> None:
    first = run(shell_project)
    set_n(shell_project, 2)
    run(shell_project)
    replay = cli(shell_project, "replay", str(first["run"]), "--verify")
    assert replay.code == 0, replay
    assert "identical" in replay.out
    set_n(shell_project, 3)
    run(shell_project)
    set_n(shell_project, 2)
    doc = run(shell_project)
    # The n: 2 result comes back from the cache, and it is n: 2's.
    assert statuses(doc) == {"use": "cached"}
    assert (shell_project / "out.txt").read_text() == "n: 2\n"


def test_a_replay_reads_nothing_of_the_work_tree(shell_project: Path) -> None:
    first = run(shell_project)
    # Every file of the work tree differs from the run's, none committed.
    (shell_project / "params.yaml").write_text("n: 99\n")
    (shell_project / "out.txt").write_text("n: 99\n")
    (shell_project / "pipeline.py").write_text(SHELL_PIPELINE.replace("grep", "grep -i"))
    replay = cli(shell_project, "replay", str(first["run"]), "--verify", "--json")
    assert replay.code == 0, replay
    assert replay.json()["verdict"] == "identical"
    # The module read the run's params.yaml, not the work tree's.
    shown = cli(shell_project, "runs", "show", replay.json()["run"], "--json").json()
    assert shown["steps"]["use"]["fingerprints"]["params"] == {"n": 1}
    assert (shell_project / "params.yaml").read_text() == "n: 99\n"


@pytest.mark.parametrize("path", ["/etc/hostname", "../outside.txt", ".git/config", "a/../b"])
def test_the_no_op_check_reads_no_path_a_lock_could_aim_outside(tmp_path: Path, path: str) -> None:
    from repro.reads import file_id
    from repro.runner.fastpath import _files_hold, _ids_hold, file_digest

    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("x")
    (root / "a.txt").write_text("x")
    # Whatever the digest says, such a path is never read: look closer.
    digest = file_digest(str(root / path), "xxh3-128")
    assert not _files_hold(
        str(root), {path: digest, "a.txt": file_digest(str(root / "a.txt"), "xxh3-128")}, "xxh3-128"
    )
    oid = file_id(str(root / path), "xxh3-128")
    assert not _ids_hold(str(root), {path: oid}, "xxh3-128", None)
    assert _ids_hold(str(root), {}, "xxh3-128", None)
