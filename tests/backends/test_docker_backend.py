"""The Docker backend end to end: real containers of a real image, the
same records and output ids as the local backend, replays that verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_testing import one_line_error
from docker_backend_testing import run_docker, write_pipeline
from pipeline_testing import cli, dedent, edit, run_json, statuses


def _record(root: Path, run: str) -> dict[str, Any]:
    result = cli(root, "runs", "show", run, "--json")
    assert result.code == 0, result
    doc: dict[str, Any] = result.json()
    return doc


def _outputs(record: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: {out: artifact["oid"] for out, artifact in step["outputs"].items()}
        for name, step in record["steps"].items()
    }


def test_a_docker_run_records_the_same_shape_and_ids_as_a_local_run(
    docker_project: Path, repro_image: str
) -> None:
    docker = run_docker(docker_project, "--json")
    assert docker.code == 0, docker
    assert statuses(docker.json()) == dict.fromkeys(
        ("load", "transform", "total", "describe"), "executed"
    )
    in_docker = _record(docker_project, docker.json()["run"])
    local = run_json(docker_project, "--backend", "local", "--no-cache")
    on_host = _record(docker_project, local["run"])

    assert in_docker["backend"] == "docker" and on_host["backend"] == "local"
    assert _outputs(in_docker) == _outputs(on_host)
    assert {s["image"] for s in in_docker["steps"].values()} == {repro_image}
    assert {s["image"] for s in on_host["steps"].values()} == {None}
    assert set(in_docker["steps"]["total"]) == set(on_host["steps"]["total"])
    assert in_docker["steps"]["total"]["metrics"] == {"total": 30.0}


def test_the_image_digest_is_in_the_cache_key(docker_project: Path, repro_image: str) -> None:
    assert run_docker(docker_project).code == 0
    again = run_docker(docker_project, "--json")
    assert set(statuses(again.json()).values()) == {"cached"}
    local = cli(docker_project, "run", "--backend", "local", "--explain")
    assert local.code == 0, local
    assert f"image {repro_image} -> (none: local)" in local.out
    lock = (docker_project / "repro.lock").read_text()
    assert "backend: docker" not in lock and repro_image not in lock


def test_a_docker_run_replays_identical_in_docker(docker_project: Path) -> None:
    run = run_docker(docker_project, "--json").json()["run"]
    replay = cli(docker_project, "replay", run, "--verify", "--json", timeout=300)
    assert replay.code == 0, replay
    doc = replay.json()
    assert doc["verdict"] == "identical"
    assert _record(docker_project, doc["run"])["backend"] == "docker"


def test_a_tag_is_pinned_to_its_digest_when_the_run_is_planned(
    docker_project: Path, repro_image: str, docker_engine: Any
) -> None:
    from repro.images.resolve import local_image_id

    image = docker_engine.images.get(local_image_id(repro_image, docker_engine))
    image.tag("repro-test-runtime", "pinned-by-tag")
    edit(docker_project / "pyproject.toml", repro_image, "repro-test-runtime:pinned-by-tag")
    done = run_docker(docker_project, "--json")
    assert done.code == 0, done
    steps = _record(docker_project, done.json()["run"])["steps"]
    assert {s["image"] for s in steps.values()} == {repro_image}


def test_steps_have_no_network_unless_they_ask(docker_project: Path) -> None:
    write_pipeline(
        docker_project,
        "net.py",
        dedent("""
            import os

            from repro import pipeline, step


            @step
            def closed() -> list:
                return sorted(os.listdir("/sys/class/net"))


            @step(network=True)
            def open_(ignored: list) -> list:
                return sorted(os.listdir("/sys/class/net"))


            @pipeline
            def net() -> None:
                open_(closed())
        """),
    )
    done = run_docker(docker_project, "net.py:net")
    assert done.code == 0, done
    closed = _load_output(docker_project, "closed")
    opened = _load_output(docker_project, "open_")
    assert closed == ["lo"]
    assert "lo" in opened and len(opened) > 1


def _load_output(root: Path, step: str) -> Any:
    from repro.project import Project

    project = Project(str(root))
    lock = (root / "repro.lock").read_text()
    import yaml

    doc = yaml.safe_load(lock)
    (entry,) = [p for p in doc["pipelines"].values() if step in p["steps"]]
    oid = entry["steps"][step]["outputs"]["output"]
    return json.loads(project.store().read(oid))


def test_what_a_step_prints_is_streamed_and_kept_with_the_run(docker_project: Path) -> None:
    write_pipeline(
        docker_project,
        "talk.py",
        dedent("""
            import sys

            from repro import pipeline, step


            @step
            def chatty() -> int:
                print("hello from the container")
                print("on stderr too", file=sys.stderr)
                return 1


            @pipeline
            def talk() -> None:
                chatty()
        """),
    )
    done = run_docker(docker_project, "talk.py:talk")
    assert done.code == 0, done
    assert "chatty | hello from the container" in done.err
    assert "chatty | on stderr too" in done.err
    run = _record(docker_project, done.out.split("run ")[1].split()[0])
    log = run["steps"]["chatty"]["log"]
    from repro.project import Project

    kept = Project(str(docker_project)).store().read(log).decode()
    assert "hello from the container" in kept and "on stderr too" in kept
    shown = cli(docker_project, "runs", "log", run["id"], "chatty")
    assert shown.code == 0 and "on stderr too" in shown.out
    assert "no such step" in one_line_error(cli(docker_project, "runs", "log", run["id"], "nope"))
    # The log is part of the run: gc keeps it for a kept run (push sends it).
    assert cli(docker_project, "gc", "--grace", "0").code == 0
    assert Project(str(docker_project)).store().exists(log)


def test_a_shell_step_writes_its_outs_from_a_read_only_project(docker_project: Path) -> None:
    write_pipeline(
        docker_project,
        "shell.py",
        dedent("""
            from repro import Dataset, pipeline, sh, step


            @step
            def count(lines) -> int:
                return int(lines.read_text())


            @pipeline
            def shell() -> None:
                lines, copy = sh(
                    "mkdir -p out && cp data/rows.csv out/copy.csv && wc -l < data/rows.csv"
                    " > out/lines.txt",
                    deps=[Dataset("data/rows.csv")],
                    outs=["out/lines.txt", "out/copy.csv"],
                )
                count(lines)
        """),
    )
    done = run_docker(docker_project, "shell.py:shell", "--json")
    assert done.code == 0, done
    assert _load_output(docker_project, "count") == 5
    assert (docker_project / "out" / "lines.txt").read_text().strip() == "5"
    assert (docker_project / "out" / "copy.csv").read_text() == (
        docker_project / "data" / "rows.csv"
    ).read_text()


def test_run_and_status_judge_a_docker_lock_as_it_was_made(docker_project: Path) -> None:
    assert run_docker(docker_project).code == 0
    status = cli(docker_project, "status", "--exit-code")
    assert status.code == 0 and "flow: fresh" in status.out, status
    frozen = cli(docker_project, "run", "--frozen")
    assert frozen.code == 0, frozen
    lock = (docker_project / "repro.lock").read_bytes()
    again = run_json(docker_project)  # no --backend: where the lock's run ran
    assert set(statuses(again).values()) == {"cached"}
    assert (docker_project / "repro.lock").read_bytes() == lock  # every pin held
    assert _record(docker_project, again["run"])["backend"] == "docker"


def test_a_local_run_replays_identical_in_docker_and_back(docker_project: Path) -> None:
    local = run_json(docker_project, "--backend", "local")
    in_docker = cli(
        docker_project, "replay", local["run"], "--backend", "docker", "--verify", "--json"
    )
    assert in_docker.code == 0, in_docker
    assert _record(docker_project, in_docker.json()["run"])["backend"] == "docker"
    docker = run_docker(docker_project, "--no-cache", "--json").json()["run"]
    back = cli(docker_project, "replay", docker, "--backend", "local", "--verify")
    assert back.code == 0, back


def test_a_store_outside_the_project_is_mounted(docker_project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "elsewhere" / "cache"
    config = docker_project / ".repro" / "config.toml"
    edit(config, 'dir = ".repro/cache"', f'dir = "{cache}"')
    done = run_docker(docker_project, "--json")
    assert done.code == 0, done
    record = _record(docker_project, done.json()["run"])
    oid = record["steps"]["total"]["outputs"]["output"]["oid"]
    assert any(cache.rglob(oid[2:])) or any(p.name.startswith("pack") for p in cache.rglob("*"))


def test_data_behind_a_symlink_out_of_the_project_is_mounted(
    docker_project: Path, tmp_path: Path
) -> None:
    import shutil

    outside = tmp_path / "outside"
    shutil.move(docker_project / "data", outside)
    (docker_project / "data").symlink_to(outside)
    done = run_docker(docker_project, "--json")
    assert done.code == 0, done
    assert statuses(done.json())["load"] == "executed"
