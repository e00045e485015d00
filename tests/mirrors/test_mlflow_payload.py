"""What a run record becomes in MLflow, without a server: names MLflow
accepts, metrics by step and by name, repro's own tags and model files."""

from __future__ import annotations

import posixpath

from hypothesis import given
from hypothesis import strategies as st
from mlflow_records import make_record, make_step

from repro.mirrors.mlflow_payload import mirror_payload, mlflow_key

BLOB = {"kind": "blob", "materializer": "sklearn.skops", "version": "1", "type": "x", "size": 3}


@given(st.text(max_size=300))
def test_every_key_is_a_name_mlflow_accepts(text: str) -> None:
    from mlflow.utils.validation import validate_param_and_metric_name

    key = mlflow_key(text)
    assert validate_param_and_metric_name(key)
    assert posixpath.normpath(key) == key and not key.startswith(("/", ".."))
    assert 0 < len(key) <= 250


def test_a_url_keeps_its_shape_as_a_key() -> None:
    assert mlflow_key("repro.snapshot.s3://bucket/data/") == "repro.snapshot.s3_/bucket/data"


def test_a_metric_is_bare_only_when_one_step_logged_it() -> None:
    record = make_record(
        steps={
            "train": make_step(0, metrics={"loss": 0.5, "accuracy": 0.9}),
            "evaluate": make_step(1, metrics={"loss": 0.7}),
        }
    )
    metrics = mirror_payload(record).metrics
    assert metrics == {
        "train.loss": 0.5,
        "train.accuracy": 0.9,
        "accuracy": 0.9,
        "evaluate.loss": 0.7,
    }


def test_params_are_strings_and_logged_params_carry_their_step() -> None:
    record = make_record(
        params={"rate": 0.05, "name": "forest"},
        steps={"train": make_step(0, logged_params={"layers": [1, 2]})},
    )
    assert mirror_payload(record).params == {
        "rate": "0.05",
        "name": "forest",
        "train.layers": "[1, 2]",
    }


def test_repro_tags_win_over_a_user_tag_of_the_same_name() -> None:
    record = make_record(tags={"repro.run_id": "mine", "team": "ml"})
    tags = mirror_payload(record).tags
    assert tags["repro.run_id"] == record.id
    assert tags["team"] == "ml"


def test_step_tags_and_images_carry_their_step() -> None:
    record = make_record(
        steps={"train": make_step(0, tags={"stage": "fit"}, image="repo@sha256:" + "a" * 64)}
    )
    tags = mirror_payload(record).tags
    assert tags["train.stage"] == "fit"
    assert tags["repro.image.train"] == "repo@sha256:" + "a" * 64


def test_a_run_still_going_is_left_running() -> None:
    payload = mirror_payload(make_record(status="running", finished=None))
    assert payload.status is None and payload.end_ms is None


def test_a_failed_run_ends_failed_at_its_finish_time() -> None:
    payload = mirror_payload(make_record(status="failed"))
    assert payload.status == "FAILED"
    assert payload.end_ms == payload.start_ms + 1521


def test_a_model_blob_is_named_by_its_output_and_format() -> None:
    record = make_record(
        steps={"train": make_step(0, outputs={"model": {**BLOB, "oid": "ab" * 16}})},
        models=[{"name": "churn", "version": "ab" * 16, "step": "train", "output": "model"}],
    )
    (model,) = mirror_payload(record).models
    assert (model.artifact_path, model.filename, model.version) == (
        "models/churn",
        "model.skops",
        "ab" * 16,
    )


def test_a_model_tree_is_a_folder() -> None:
    tree = {**BLOB, "kind": "tree", "materializer": "path", "oid": "cd" * 16}
    record = make_record(
        steps={"train": make_step(0, outputs={"weights": tree})},
        models=[{"name": "net", "version": "cd" * 16, "step": "train", "output": "weights"}],
    )
    (model,) = mirror_payload(record).models
    assert (model.kind, model.filename) == ("tree", "weights")
