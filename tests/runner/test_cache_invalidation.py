"""What reruns after what change: exactly the steps whose code, data,
parameters or upstream outputs changed."""

from __future__ import annotations

from pathlib import Path

from pipeline_testing import edit, executed, run_json, statuses


def test_first_run_executes_every_step_and_second_is_a_no_op(flow: Path) -> None:
    first = run_json(flow)
    assert statuses(first) == dict.fromkeys(["load", "transform", "total", "describe"], "executed")
    second = run_json(flow)
    assert second["status"] == "up-to-date"
    assert second["run"] == first["run"]
    assert set(statuses(second).values()) == {"cached"}


def test_editing_one_step_reruns_only_that_step(flow: Path) -> None:
    run_json(flow)
    edit(flow / "flow.py", '"max": max(values)', '"max": max(values), "min": min(values)')
    assert executed(run_json(flow)) == {"describe"}


def test_a_docstring_or_comment_edit_reruns_nothing(flow: Path) -> None:
    run_json(flow)
    edit(
        flow / "flow.py",
        "    result = float(sum(values))",
        "    # the sum, as a float\n    result = float(sum(values))",
    )
    doc = run_json(flow)
    assert executed(doc) == set()
    assert set(statuses(doc).values()) == {"cached"}


def test_editing_a_helper_module_reruns_its_users_and_what_follows(flow: Path) -> None:
    run_json(flow)
    edit(flow / "helpers.py", "return value * factor", "return value * factor + 1")
    assert executed(run_json(flow)) == {"transform", "total"}


def test_an_unchanged_result_stops_the_rerun(flow: Path) -> None:
    run_json(flow)
    edit(flow / "helpers.py", "return value * factor", "return factor * value")
    doc = run_json(flow)
    assert executed(doc) == {"transform"}
    assert statuses(doc)["total"] == "cached"


def test_editing_an_unrelated_module_reruns_nothing(flow: Path) -> None:
    run_json(flow)
    edit(flow / "unrelated.py", "return 1", "return 2")
    doc = run_json(flow)
    assert executed(doc) == set()


def test_changing_one_data_row_reruns_everything_downstream_of_the_data(flow: Path) -> None:
    run_json(flow)
    edit(flow / "data/rows.csv", "\n3\n", "\n30\n")
    assert executed(run_json(flow)) == {"load", "transform", "total", "describe"}


def test_a_param_from_the_cli_reruns_what_depends_on_it(flow: Path) -> None:
    run_json(flow)
    changed = run_json(flow, "-p", "factor=5")
    assert executed(changed) == {"transform", "total"}
    # Back to the default: those results are still cached.
    back = run_json(flow)
    assert executed(back) == set()
    assert back["status"] == "succeeded"


def test_no_cache_executes_every_step(flow: Path) -> None:
    run_json(flow)
    doc = run_json(flow, "--no-cache")
    assert executed(doc) == {"load", "transform", "total", "describe"}


def test_code_edited_while_a_run_is_in_flight_is_not_cached_as_the_old_code(flow: Path) -> None:

    from pipeline_testing import commit_all, dedent, start_repro, wait_for

    (flow / "inflight.py").write_text(
        dedent("""
        import time
        from pathlib import Path

        from repro import pipeline, step


        @step
        def slow() -> int:
            Path("slow-started").write_text("yes")
            while not Path("go").exists():
                time.sleep(0.05)
            return 1


        @step
        def after(x: int) -> int:
            return x + 100


        @pipeline
        def inflight() -> None:
            after(slow())
    """)
    )
    commit_all(flow, "inflight")
    process = start_repro(flow, "run", "inflight.py:inflight")
    wait_for(flow / "slow-started")
    edit(flow / "inflight.py", "return x + 100", "return x + 200")
    (flow / "go").write_text("now")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "the code of step 'after' changed while the step ran" in err
    # Nothing was cached under the old code's key for the new code: it runs now.
    doc = run_json(flow, "inflight.py:inflight")
    assert executed(doc) == {"after"}


def test_data_changed_while_its_step_ran_fails_the_step(flow: Path) -> None:

    from pipeline_testing import commit_all, dedent, start_repro, wait_for

    (flow / "reader.py").write_text(
        dedent("""
        import time
        from pathlib import Path

        from repro import Dataset, pipeline, step


        @step
        def read(path: Path) -> str:
            Path("read-started").write_text("yes")
            while not Path("go").exists():
                time.sleep(0.05)
            return path.read_text()


        @pipeline
        def reader(data: Dataset = Dataset("data/rows.csv")) -> None:
            read(data)
    """)
    )
    commit_all(flow, "reader")
    process = start_repro(flow, "run", "reader.py:reader")
    wait_for(flow / "read-started")
    edit(flow / "data/rows.csv", "\n4\n", "\n44\n")
    (flow / "go").write_text("now")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "data/rows.csv changed while the step ran" in err
