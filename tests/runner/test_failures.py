"""Bad input and interrupted runs: one clear line, exit 1, nothing lost."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from pipeline_testing import (
    cli,
    commit_all,
    dedent,
    edit,
    executed,
    run_json,
    start_repro,
    statuses,
    wait_for,
)

SLOW = dedent("""
    import time
    from pathlib import Path

    from repro import pipeline, step


    @step
    def first() -> int:
        return 1


    @step
    def second(value: int) -> int:
        Path("second-started").write_text("yes")
        time.sleep(float(Path("delay").read_text()))
        return value + 1


    @step
    def third(value: int) -> int:
        return value + 1


    @pipeline
    def slow() -> None:
        third(second(first()))
""")


def _one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code != 0, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert "Traceback" not in result.err
    return str(lines[0])


def test_a_failing_step_is_recorded_and_earlier_results_kept(flow: Path) -> None:
    edit(flow / "flow.py", "    result = float(sum(values))", "    result = float(sum(values)) / 0")
    result = cli(flow, "run", "--json")
    assert result.code == 1
    doc = result.json()
    assert doc["status"] == "failed"
    assert statuses(doc)["total"] == "failed"
    failed = next(s for s in doc["steps"] if s["name"] == "total")
    assert "ZeroDivisionError" in failed["error"] and "flow.py, line" in failed["error"]
    assert not (flow / "repro.lock").exists()
    edit(flow / "flow.py", "float(sum(values)) / 0", "float(sum(values))")
    again = run_json(flow)
    assert executed(again) == {"total"}


def test_a_pipeline_file_that_fails_to_import_shows_its_error(flow: Path) -> None:
    edit(flow / "flow.py", "import csv", "import csv\nundefined_name")
    line = _one_line_error(cli(flow, "run"))
    assert "NameError" in line and "undefined_name" in line and "flow.py, line" in line


def test_a_syntax_error_names_file_and_line(flow: Path) -> None:
    edit(flow / "helpers.py", "def scale(", "def scale((")
    line = _one_line_error(cli(flow, "run"))
    assert "SyntaxError" in line and "helpers.py, line 1" in line


def test_an_output_with_no_materializer_names_step_type_and_fix(flow: Path) -> None:
    edit(flow / "flow.py", 'return {"count": len(values), "max": max(values)}', "return object()")
    result = cli(flow, "run")
    assert result.code == 1
    assert "step 'describe' returned a builtins.object" in result.err
    assert "@repro.materialize.register" in result.err


def test_unknown_target_and_unknown_param(flow: Path) -> None:
    assert "unknown pipeline 'nope'" in _one_line_error(cli(flow, "run", "nope"))
    assert "flow.py has no pipeline 'nope'" in _one_line_error(cli(flow, "run", "flow.py:nope"))
    line = _one_line_error(cli(flow, "run", "-p", "speed=3"))
    assert "has no parameter 'speed'" in line and "factor" in line
    assert "expected KEY=VALUE" in _one_line_error(cli(flow, "run", "-p", "factor"))


def test_unknown_and_ambiguous_run_ids(flow: Path) -> None:
    first = run_json(flow, "--no-cache")["run"]
    second = run_json(flow, "--no-cache")["run"]
    assert "no run matches 'zzzz'" in _one_line_error(cli(flow, "runs", "show", "zzzz"))
    common = next(first[:i] for i in range(len(first)) if first[i] != second[i])
    line = _one_line_error(cli(flow, "replay", common))
    assert "matches 2 runs" in line
    assert cli(flow, "runs", "show", first[: len(common) + 1]).code == 0


def test_a_malformed_lock_names_file_and_line(flow: Path) -> None:
    run_json(flow)
    lock = flow / "repro.lock"
    text = lock.read_text()
    lock.write_text(text.replace("    dirty: false", "    dirty: [unclosed", 1))
    line = _one_line_error(cli(flow, "status"))
    assert "repro.lock:" in line and "not valid YAML" in line


def test_a_hand_edited_lock_field_names_its_line(flow: Path) -> None:
    run_json(flow)
    lock = flow / "repro.lock"
    lines = lock.read_text().splitlines()
    number = next(i for i, text in enumerate(lines) if text.strip().startswith("dirty:"))
    lines[number] = lines[number].replace("false", "maybe")
    lock.write_text("\n".join(lines) + "\n")
    line = _one_line_error(cli(flow, "status"))
    assert f"repro.lock:{number + 1}:" in line and "dirty" in line


def test_a_lock_from_a_newer_schema_asks_for_an_upgrade(flow: Path) -> None:
    run_json(flow)
    lock = flow / "repro.lock"
    lock.write_text(lock.read_text().replace("schema: repro.lock/v1", "schema: repro.lock/v9"))
    line = _one_line_error(cli(flow, "run", "--no-cache"))
    assert "newer repro" in line and "upgrade repro" in line


def _start_slow(flow: Path, delay: float) -> subprocess.Popen[str]:
    (flow / "slow.py").write_text(SLOW)
    (flow / "delay").write_text(str(delay))
    commit_all(flow, "slow")
    return start_repro(flow, "run", "slow.py:slow", "--json")


def test_kill_9_mid_run_then_the_next_run_reuses_finished_steps(flow: Path) -> None:
    process = _start_slow(flow, 60)
    wait_for(flow / "second-started")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    (flow / "delay").write_text("0")
    doc = run_json(flow, "slow.py:slow")
    assert statuses(doc) == {"first": "cached", "second": "executed", "third": "executed"}
    listed = cli(flow, "runs", "list", "--json").json()
    # The killed run left no record, only its finished steps and its journal,
    # which no process holds any more: it is listed as interrupted.
    assert [row["status"] for row in listed] == ["interrupted", "succeeded"]


def test_ctrl_c_mid_run_records_an_interrupted_run(flow: Path) -> None:
    process = _start_slow(flow, 60)
    wait_for(flow / "second-started")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    listed = cli(flow, "runs", "list", "--json").json()
    assert [row["status"] for row in listed] == ["interrupted"]
    (flow / "delay").write_text("0")
    doc = run_json(flow, "slow.py:slow")
    assert statuses(doc)["first"] == "cached"


def test_a_second_run_waits_for_the_first(flow: Path) -> None:
    process = _start_slow(flow, 3)
    wait_for(flow / "second-started")
    second = cli(flow, "run", "slow.py:slow", "--json")
    process.communicate(timeout=60)
    assert process.returncode == 0
    assert second.code == 0, second
    assert "waiting for another repro run" in second.err
    assert second.json()["status"] == "up-to-date"


def test_secrets_never_enter_records_or_the_lock(flow: Path) -> None:
    (flow / "secret.py").write_text(
        dedent("""
        from repro import pipeline, step


        @step
        def connect(url: str, api_token: str) -> int:
            return len(url) + len(api_token)


        @pipeline
        def secret(
            url: str = "postgresql://admin:hunter2pass@db.example/prod",
            api_token: str = "tok-4242-very-private",
        ) -> None:
            connect(url, api_token)
    """)
    )
    commit_all(flow, "secret")
    result = cli(
        flow,
        "run",
        "secret.py:secret",
        env={"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIK7MDENGbPxRfiCYzzzzzzzz"},
    )
    assert result.code == 0, result
    places = [flow / "repro.lock", *(flow / ".repro").rglob("*")]
    for path in places:
        if path.is_file():
            data = path.read_bytes()
            for secret in (b"hunter2pass", b"tok-4242-very-private", b"wJalrXUtnFEMIK7MDENG"):
                assert secret not in data, f"{secret!r} leaked into {path}"
    lock = (flow / "repro.lock").read_text()
    assert "postgresql://db.example/prod" in lock


def test_a_secret_parameter_of_a_shell_step_stays_out_of_the_record(flow: Path) -> None:
    (flow / "fetch.py").write_text(
        dedent("""
        from repro import pipeline, sh


        @pipeline
        def fetch(password: str = "s3cr3t-value-xyz") -> None:
            sh("echo {password} > /dev/null; exit 4", name="login", params={"password": password})
    """)
    )
    commit_all(flow, "fetch")
    result = cli(flow, "run", "fetch.py:fetch", "--json")
    assert result.code == 1
    record = cli(flow, "runs", "show", result.json()["run"], "--json")
    assert "s3cr3t-value-xyz" not in record.out
    assert record.json()["steps"]["login"]["command"] == "echo ***redacted*** > /dev/null; exit 4"
    assert "exited with status 4" in record.json()["steps"]["login"]["error"]


def test_replay_asks_again_for_a_masked_parameter(flow: Path) -> None:
    (flow / "secret.py").write_text(
        dedent("""
        from repro import pipeline, step


        @step
        def length(api_token: str) -> int:
            return len(api_token)


        @pipeline
        def secret(api_token: str = "tok-4242") -> None:
            length(api_token)
    """)
    )
    commit_all(flow, "secret")
    run = run_json(flow, "secret.py:secret")["run"]
    line = _one_line_error(cli(flow, "replay", run))
    assert "parameter api_token was masked" in line and "-p api_token=" in line
    result = cli(flow, "replay", run, "-p", "api_token=tok-4242", "--verify")
    assert result.code == 0, result


def test_a_damaged_run_record_is_one_line(flow: Path) -> None:
    run = run_json(flow)["run"]
    record = flow / ".repro" / "runs" / f"{run}.json"
    record.write_text(record.read_text().replace('"repro.run/v1"', '"repro.run/v7"'))
    assert "newer repro" in _one_line_error(cli(flow, "runs", "show", run))
    record.write_text("{}")
    assert "not a valid run record" in _one_line_error(cli(flow, "runs", "show", run))


def test_a_step_calling_sys_exit_is_a_failed_step(flow: Path) -> None:
    edit(flow / "flow.py", "    result = float(sum(values))", "    raise SystemExit(3)")
    result = cli(flow, "run", "--json")
    assert result.code == 1
    steps = {s["name"]: s for s in result.json()["steps"]}
    assert steps["total"]["status"] == "failed" and "SystemExit: 3" in steps["total"]["error"]
    assert steps["describe"]["status"] in ("executed", "skipped")


def test_secrets_stay_out_of_error_messages_and_the_kept_spec(flow: Path) -> None:
    (flow / "leak.py").write_text(
        dedent("""
        from repro import pipeline, step


        @step
        def connect(url: str, api_token: str) -> int:
            raise RuntimeError(f"cannot reach {url} with {api_token}")


        @pipeline
        def leak(
            url: str = "https://bob:pw-hunter2@host.example/x",
            api_token: str = "tok-9999-secret",
        ) -> None:
            connect(url, api_token)
    """)
    )
    commit_all(flow, "leak")
    result = cli(flow, "run", "leak.py:leak", "--json")
    assert result.code == 1
    error = result.json()["steps"][0]["error"]
    assert "https://host.example/x" in error and "***redacted***" in error
    for path in [*(flow / ".repro").rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            assert b"pw-hunter2" not in data and b"tok-9999-secret" not in data, path
    spec = next((flow / ".repro" / "runs").glob("*.spec"))
    line = _one_line_error(cli(flow, "step-exec", spec.stem, "connect"))
    assert "secret parameter" in line


def test_a_mistake_in_the_pipeline_body_is_one_line(flow: Path) -> None:
    edit(flow / "flow.py", "    values = load(data)", "    values, other = load(data)")
    line = _one_line_error(cli(flow, "run"))
    assert "step 'load' has one output" in line


def test_secrets_from_the_environment_urls_and_f_strings_stay_out(flow: Path) -> None:
    (flow / "env.py").write_text(
        dedent("""
        import os

        from repro import pipeline, sh, step


        @step
        def fetch(url: str) -> int:
            raise RuntimeError(f"denied: {url} key={os.environ['AWS_SECRET_ACCESS_KEY']}")


        @pipeline
        def env(
            url: str = "https://h.example/o?X-Amz-Signature=sig-abcdef123&part=1",
            api_token: str = "tok-fstring-777",
        ) -> None:
            sh(f"echo {api_token} > /dev/null", name="echo")
            fetch(url)
    """)
    )
    commit_all(flow, "env")
    result = cli(
        flow,
        "run",
        "env.py:env",
        "--json",
        env={"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIK7MDENGsecret"},
    )
    assert result.code == 1
    leaks = (b"wJalrXUtnFEMIK7MDENGsecret", b"tok-fstring-777", b"sig-abcdef123")
    for path in [flow / "repro.lock", *(flow / ".repro").rglob("*")]:
        if path.is_file():
            assert not any(leak in path.read_bytes() for leak in leaks), path
    assert not any(leak.decode() in result.out + result.err for leak in leaks)


def test_replay_asks_again_for_a_url_that_lost_its_password(flow: Path) -> None:
    (flow / "db.py").write_text(
        dedent("""
        from repro import pipeline, step


        @step
        def connect(url: str) -> int:
            return len(url)


        @pipeline
        def db(url: str = "postgresql://admin:pw-1234@db/prod") -> None:
            connect(url)
    """)
    )
    commit_all(flow, "db")
    run = run_json(flow, "db.py:db")["run"]
    line = _one_line_error(cli(flow, "replay", run))
    assert "parameter url was masked" in line
    ok = cli(flow, "replay", run, "-p", "url=postgresql://admin:pw-1234@db/prod", "--verify")
    assert ok.code == 0, ok


def test_a_file_url_outside_the_project_is_refused(flow: Path) -> None:
    edit(flow / "flow.py", 'Dataset("data/rows.csv")', 'Dataset("file:///etc/hostname")')
    assert "must be inside the project" in _one_line_error(cli(flow, "run"))


def test_step_exec_with_a_bad_inputs_file_is_a_usage_error(flow: Path, tmp_path: Path) -> None:
    edit(flow / "flow.py", "    result = float(sum(values))", "    result = float(sum(values)) / 0")
    run = cli(flow, "run", "--json").json()["run"]
    bad = tmp_path / "inputs.json"
    for text in ("not json", "[1]", "{}"):
        bad.write_text(text)
        result = cli(flow, "step-exec", run, "total", "--inputs", str(bad))
        assert result.code == 2, result
        assert "--inputs" in _one_line_error(result)
