"""The fuzz suite's project: built once per test process (a real `repro
run`, promotion and push in a real Git repository), copied per example."""

from __future__ import annotations

import pytest
from fuzz_project import Template, build_template


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return build_template(tmp_path_factory.mktemp("fuzz") / "template")
