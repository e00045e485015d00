"""Bad input to the argo backend: one line, a non-zero exit, nothing
written or submitted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from argo_project_testing import server_env
from pipeline_testing import cli, commit_all, edit
from s3_testing import S3Server

DIGEST = "registry.example/flow@sha256:" + "ab" * 32


def _one_line(result: Any) -> str:
    assert result.code != 0, result
    assert "Traceback" not in result.err, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    return lines[0]


def test_an_image_not_pinned_by_digest_is_refused(argo_project: Path) -> None:
    edit(argo_project / "pyproject.toml", DIGEST, "registry.example/flow:1.0")
    commit_all(argo_project, "by tag")
    line = _one_line(cli(argo_project, "argo", "render"))
    assert "not pinned by digest" in line and "registry.example/flow:1.0" in line


def test_no_default_remote_is_refused(argo_project: Path) -> None:
    assert cli(argo_project, "remote", "remove", "origin").code == 0
    line = _one_line(cli(argo_project, "argo", "render"))
    assert "remote" in line


def test_a_remote_pods_cannot_reach_is_refused(argo_project: Path, tmp_path: Path) -> None:
    added = cli(argo_project, "remote", "add", "shelf", str(tmp_path / "shelf"))
    assert added.code == 0, added
    with (argo_project / "pyproject.toml").open("a") as file:
        file.write('remote = "shelf"\n')
    line = _one_line(cli(argo_project, "argo", "render"))
    assert "pods on a cluster cannot reach" in line


def test_an_invalid_cron_expression_is_refused(argo_project: Path) -> None:
    edit(argo_project / "flow.py", "@pipeline\n", '@pipeline(schedule="61 * * * *")\n')
    line = _one_line(cli(argo_project, "argo", "render", "--cron"))
    assert "61 * * * *" in line


def test_a_pipeline_without_schedule_has_no_cron_workflow(argo_project: Path) -> None:
    line = _one_line(cli(argo_project, "argo", "render", "--cron"))
    assert "has no schedule" in line


def test_a_rejected_submission_shows_the_server_message(
    argo_project: Path, argo_server: Any
) -> None:
    edit(argo_project / "pyproject.toml", 'namespace = "argo"', 'namespace = "ml"')
    commit_all(argo_project, "another namespace")
    line = _one_line(cli(argo_project, "argo", "submit", env=server_env(argo_server)))
    assert 'cannot access resources in the namespace "ml"' in line
    assert not argo_server.workflows


def test_each_submission_is_a_run_of_its_own(argo_project: Path, argo_server: Any) -> None:
    first = cli(argo_project, "argo", "submit", "--json", env=server_env(argo_server))
    second = cli(argo_project, "argo", "submit", "--json", env=server_env(argo_server))
    assert first.code == 0 and second.code == 0, (first, second)
    assert first.json()["run"] != second.json()["run"]
    assert first.json()["run"] < second.json()["run"]  # ids sort by time


def test_no_credential_of_the_remote_reaches_the_manifest(
    argo_project: Path, s3_server: S3Server
) -> None:
    bucket = s3_server.new_bucket()
    added = cli(
        argo_project,
        "remote",
        "add",
        "--local",
        "--force",
        "origin",
        f"s3://{bucket}/store",
        "--option",
        f"endpoint_url={s3_server.endpoint}",
        "--option",
        f"key={s3_server.access_key}",
        "--option",
        f"secret={s3_server.secret_key}",
        "--default",
    )
    assert added.code == 0, added
    rendered = cli(argo_project, "argo", "render")
    assert rendered.code == 0, rendered
    assert s3_server.endpoint in rendered.out
    assert s3_server.secret_key not in rendered.out and s3_server.access_key not in rendered.out


def test_submit_without_a_server_says_how_to_name_one(argo_project: Path) -> None:
    line = _one_line(cli(argo_project, "argo", "submit", env={"ARGO_SERVER": ""}))
    assert "ARGO_SERVER" in line


def test_a_secret_parameter_is_refused(argo_project: Path) -> None:
    edit(
        argo_project / "flow.py",
        "@pipeline\n",
        "@step\ndef sign(api_token: str) -> int:\n    return len(api_token)\n\n\n@pipeline\n",
    )
    edit(argo_project / "flow.py", "total(scaled)", "total(scaled)\n    sign('hunter2')")
    line = _one_line(cli(argo_project, "argo", "render"))
    assert "secret parameter" in line and "hunter2" not in line


def test_lint_command_names_each_problem(argo_project: Path) -> None:
    (argo_project / "bad.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\n"
        "spec: {entrypoint: missing, templates: []}\n"
    )
    result = cli(argo_project, "argo", "lint", "bad.yaml")
    assert result.code == 1
    assert "entrypoint" in result.out and "missing" in result.out


def test_an_output_no_materializer_stores_is_refused(argo_project: Path) -> None:
    edit(
        argo_project / "flow.py",
        "@pipeline\n",
        "class Summary:\n    pass\n\n\n@step\ndef summarize(values: list) -> Summary:\n"
        "    return Summary()\n\n\n@pipeline\n",
    )
    edit(argo_project / "flow.py", "total(scaled)", "total(scaled)\n    summarize(values)")
    line = _one_line(cli(argo_project, "argo", "render"))
    assert "'summarize' returns Summary" in line and "materializer" in line


def test_a_password_in_a_dataset_url_is_refused(argo_project: Path) -> None:
    edit(argo_project / "flow.py", '"data/rows.csv"', '"s3://user:hunter2@bucket/rows.csv"')
    line = _one_line(cli(argo_project, "argo", "render"))
    assert "password in its URL" in line and "hunter2" not in line


def test_lint_of_a_file_that_is_not_text_is_one_line(argo_project: Path) -> None:
    (argo_project / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    line = _one_line(cli(argo_project, "argo", "lint", "binary.yaml"))
    assert "not UTF-8 text" in line
