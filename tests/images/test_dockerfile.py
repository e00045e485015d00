"""The generated Dockerfile against a golden copy; REPRO_UPDATE_GOLDEN=1
rewrites the copy (then review its diff)."""

from __future__ import annotations

import os
from pathlib import Path

from repro.images.dockerfile import generated_dockerfile

GOLDEN = Path(__file__).parent / "golden" / "generated.Dockerfile"


def test_the_generated_dockerfile_matches_the_golden_copy() -> None:
    text = generated_dockerfile("repro-base:bookworm", version="1.2.3")
    if os.environ.get("REPRO_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_the_base_and_version_are_filled_in() -> None:
    text = generated_dockerfile("127.0.0.1:5000/base:v9", version="4.5.6")
    assert text.count("FROM 127.0.0.1:5000/base:v9") == 2
    assert 'io.repro.version="4.5.6"' in text


def test_repro_is_installed_after_its_requirements() -> None:
    text = generated_dockerfile("base")
    requirements = text.index("--find-links /tmp/wheelhouse")
    repro = text.index("--no-deps")
    assert requirements < repro
