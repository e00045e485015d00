"""models.yaml: sorted and stable, so that a promotion is a small diff;
a damaged or newer file is an error naming the file and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from repro.models import ModelsFileInvalidError, ModelsFileNewerSchemaError
from repro.models.modelsfile import (
    ModelsFile,
    Promotion,
    dump_models_file,
    parse_models_file,
    read_models_file,
)

LINE = "a" * 32
OTHER = "b" * 32


def _promotion(version: str = LINE) -> Promotion:
    return Promotion(version=version, run="01m8ehvpe4ane4", promoted_at="2026-01-02T03:04:05Z")


def test_the_file_round_trips() -> None:
    models = ModelsFile().with_alias("line", "production", _promotion())
    assert parse_models_file(dump_models_file(models), "models.yaml") == models


def test_the_text_does_not_depend_on_the_order_of_promotions() -> None:
    one = ModelsFile().with_alias("line", "production", _promotion())
    one = one.with_alias("alpha", "staging", _promotion(OTHER))
    two = ModelsFile().with_alias("alpha", "staging", _promotion(OTHER))
    two = two.with_alias("line", "production", _promotion())
    assert dump_models_file(one) == dump_models_file(two)


def test_the_schema_comes_first_then_sorted_models() -> None:
    models = ModelsFile().with_alias("line", "production", _promotion())
    models = models.with_alias("alpha", "staging", _promotion(OTHER))
    lines = [line for line in dump_models_file(models).splitlines() if not line.startswith("#")]
    assert lines[:3] == ["schema: repro.models/v1", "models:", "  alpha:"]
    assert lines.index("  line:") > lines.index("  alpha:")


def test_a_missing_or_empty_file_has_no_aliases(tmp_path: Path) -> None:
    assert read_models_file(str(tmp_path / "models.yaml")) == ModelsFile()
    assert parse_models_file("# nothing yet\n", "models.yaml") == ModelsFile()


def test_an_unquoted_timestamp_written_by_hand_is_read() -> None:
    text = (
        "models:\n  line:\n    aliases:\n      production:\n"
        f"        version: {LINE}\n        run: 01m8ehvpe4ane4\n"
        "        promoted_at: 2026-01-02T03:04:05Z\n"
    )
    models = parse_models_file(text, "models.yaml")
    assert models.aliases("line")["production"].promoted_at == "2026-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("models: [unclosed\n", r"line 2: not valid YAML"),
        ("- a\n- b\n", r"expected a mapping with 'schema' and 'models'"),
        (
            "models:\n  line:\n    aliases:\n      production: {}\n",
            r"models\.line\.aliases\.production\.version: Field required",
        ),
        (
            "models:\n  line:\n    aliases:\n      production:\n"
            f"        version: {LINE}\n        run: nope\n        promoted_at: x\n",
            r"models\.line\.aliases\.production\.run: String should match",
        ),
        (
            "models:\n  line:\n    aliases:\n      9lives: {}\n",
            r"models\.line\.aliases\.9lives\.\[key\]: String should match",
        ),
        ("models:\n  line:\n    tags: {}\n", r"models\.line\.tags: Extra inputs are not permitted"),
        ("schema: other/v1\n", r"schema: Input should be 'repro.models/v1'"),
    ],
)
def test_a_malformed_file_is_an_error_naming_the_file_and_problem(text: str, problem: str) -> None:
    with pytest.raises(
        ModelsFileInvalidError, match=r"^models\.yaml is not a valid models file: " + problem
    ):
        parse_models_file(text, "models.yaml")


def test_a_file_of_a_newer_repro_says_to_upgrade() -> None:
    with pytest.raises(
        ModelsFileNewerSchemaError, match=r"models\.yaml .*schema repro\.models/v2.*upgrade repro"
    ):
        parse_models_file("schema: repro.models/v2\nmodels: {}\n", "models.yaml")
