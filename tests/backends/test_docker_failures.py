"""What goes wrong around a container: one clear line or a failed step
with its reason, no container left behind, finished steps kept."""

from __future__ import annotations

import datetime
import signal
import time
from pathlib import Path
from typing import Any

from cli_testing import one_line_error
from docker_backend_testing import run_docker, write_pipeline
from pipeline_testing import cli, dedent, edit, start_repro

from repro.project import Project


def _step(root: Path, run: str, name: str) -> dict[str, Any]:
    shown = cli(root, "runs", "show", run, "--json")
    assert shown.code == 0, shown
    step: dict[str, Any] = shown.json()["steps"][name]
    return step


def _run_id(result: Any) -> str:
    return str(result.json()["run"])


def test_an_image_that_cannot_be_had_is_one_line_and_no_run(
    docker_project: Path, repro_image: str
) -> None:
    edit(docker_project / "pyproject.toml", repro_image, "repro-test-missing:1.0")
    line = one_line_error(run_docker(docker_project))
    assert "repro-test-missing:1.0" in line
    assert not list((docker_project / ".repro" / "runs").glob("*.json"))


def test_a_digest_that_does_not_match_its_tag_is_refused(
    docker_project: Path, repro_image: str, base_image: str, docker_engine: Any
) -> None:
    other = docker_engine.images.get(base_image).id  # another image's id
    edit(docker_project / "pyproject.toml", repro_image, f"repro-test-runtime:current@{other}")
    line = one_line_error(run_docker(docker_project))
    assert "repro-test-runtime:current" in line and "digest" in line


def test_no_engine_says_how_to_start_one(docker_project: Path) -> None:
    result = cli(
        docker_project,
        "run",
        "--backend",
        "docker",
        env={"DOCKER_HOST": f"unix://{docker_project}/no-engine.sock"},
    )
    line = one_line_error(result)
    assert "no Docker engine answers" in line and "dockerd" in line


def test_frozen_refuses_a_floating_latest_image(docker_project: Path, repro_image: str) -> None:
    edit(docker_project / "pyproject.toml", repro_image, "python:latest")
    line = one_line_error(cli(docker_project, "run", "--frozen"))
    assert "python:latest" in line and "floats" in line


def test_a_step_over_its_memory_is_failed_as_killed_for_memory(docker_project: Path) -> None:
    write_pipeline(
        docker_project,
        "greedy.py",
        dedent("""
            from repro import pipeline, step


            @step(memory="48m")
            def greedy() -> int:
                hoard = bytearray(400 * 1024 * 1024)
                return len(hoard)


            @pipeline
            def hungry() -> None:
                greedy()
        """),
    )
    done = run_docker(docker_project, "greedy.py:hungry", "--json")
    assert done.code == 1
    step = _step(docker_project, _run_id(done), "greedy")
    assert step["status"] == "failed"
    assert step["error"] == "killed: out of memory (limit 48 MiB)"


def test_a_step_past_its_timeout_is_killed(docker_project: Path) -> None:
    write_pipeline(
        docker_project,
        "hang.py",
        dedent("""
            import time

            from repro import pipeline, step


            @step(timeout=2)
            def hangs() -> int:
                time.sleep(120)
                return 1


            @pipeline
            def hang() -> None:
                hangs()
        """),
    )
    started = time.monotonic()
    done = run_docker(docker_project, "hang.py:hang", "--json")
    assert done.code == 1 and time.monotonic() - started < 60
    step = _step(docker_project, _run_id(done), "hangs")
    assert step["error"] == "timed out after 2 s; container killed"


def test_a_failing_command_is_a_failed_step_with_its_status(docker_project: Path) -> None:
    write_pipeline(
        docker_project,
        "fails.py",
        dedent("""
            from repro import pipeline, sh


            @pipeline
            def fails() -> None:
                sh("echo about to fail; exit 3", outs=["never.txt"], name="fails")
        """),
    )
    done = run_docker(docker_project, "fails.py:fails", "--json")
    assert done.code == 1
    step = _step(docker_project, _run_id(done), "fails")
    assert step["error"] == "command exited with status 3"
    assert step["log"]


def test_steps_run_in_parallel_up_to_jobs(docker_project: Path) -> None:
    write_pipeline(
        docker_project,
        "wide.py",
        dedent("""
            import time

            from repro import pipeline, step


            @step
            def left() -> int:
                time.sleep(3)
                return 1


            @step
            def right() -> int:
                time.sleep(3)
                return 2


            @pipeline
            def wide() -> None:
                left()
                right()
        """),
    )
    done = run_docker(docker_project, "wide.py:wide", "--json", "--jobs", "2")
    assert done.code == 0, done
    spans = []
    for name in ("left", "right"):
        step = _step(docker_project, _run_id(done), name)
        start = datetime.datetime.fromisoformat(step["started"]).timestamp()
        spans.append((start, start + step["duration"]))
    (a_start, a_end), (b_start, b_end) = spans
    assert a_start < b_end and b_start < a_end, spans


def test_a_secret_parameter_reaches_the_container_but_not_the_record(
    docker_project: Path,
) -> None:
    write_pipeline(
        docker_project,
        "secret.py",
        dedent("""
            from repro import pipeline, step


            @step
            def use(api_token: str) -> int:
                print(f"token is {api_token}")
                return len(api_token)


            @pipeline
            def secret(api_token: str = "s3cr3t-value-long") -> None:
                use(api_token=api_token)
        """),
    )
    done = run_docker(docker_project, "secret.py:secret", "--json")
    assert done.code == 0, done
    shown = cli(docker_project, "runs", "show", _run_id(done), "--json").out
    assert "s3cr3t-value-long" not in shown
    step = _step(docker_project, _run_id(done), "use")
    store = Project(str(docker_project)).store()
    assert store.read(step["outputs"]["output"]["oid"]) == b"17"  # the value got there
    log = store.read(step["log"]).decode()
    assert "token is" in log and "s3cr3t-value-long" not in log
    assert "s3cr3t-value-long" not in done.err


def test_frozen_refuses_a_floating_image_even_when_the_lock_is_fresh(
    docker_project: Path, repro_image: str
) -> None:
    assert cli(docker_project, "run", "--backend", "local").code == 0
    assert cli(docker_project, "run", "--frozen").code == 0
    edit(docker_project / "pyproject.toml", repro_image, "python")
    line = one_line_error(cli(docker_project, "run", "--frozen"))
    assert "'python' floats" in line


def test_a_replay_whose_image_is_gone_is_one_line_before_anything_runs(
    docker_project: Path, repro_image: str, docker_engine: Any
) -> None:
    import io

    from repro.images.resolve import local_image_id

    dockerfile = f"FROM {local_image_id(repro_image, docker_engine)}\nLABEL gone=soon\n"
    image, _ = docker_engine.images.build(fileobj=io.BytesIO(dockerfile.encode()), rm=True)
    image.tag("repro-test-gone", "1")
    edit(docker_project / "pyproject.toml", repro_image, "repro-test-gone:1")
    done = run_docker(docker_project, "--json")
    assert done.code == 0, done
    docker_engine.images.remove(image.id, force=True)
    runs_before = len(list((docker_project / ".repro" / "runs").glob("*.json")))
    line = one_line_error(cli(docker_project, "replay", _run_id(done)))
    assert "repro-test-gone" in line
    assert len(list((docker_project / ".repro" / "runs").glob("*.json"))) == runs_before


def test_ctrl_c_removes_the_containers_and_keeps_finished_steps(
    docker_project: Path, docker_engine: Any
) -> None:
    write_pipeline(
        docker_project,
        "slow.py",
        dedent("""
            import time

            from repro import pipeline, step


            @step
            def quick() -> int:
                return 1


            @step
            def slow(value: int) -> int:
                time.sleep(300)
                return value


            @pipeline
            def slow_flow() -> None:
                slow(quick())
        """),
    )
    process = start_repro(docker_project, "run", "--backend", "docker", "slow.py:slow_flow")
    deadline = time.monotonic() + 120
    while not _running(docker_engine, "slow"):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    run = err.split("interrupted; run ")[1].split()[0]
    assert _step(docker_project, run, "quick")["status"] == "executed"
    assert not _running(docker_engine, "slow")


def _running(client: Any, step: str) -> bool:
    found = client.containers.list(filters={"label": f"repro.step={step}"})
    return bool(found)
