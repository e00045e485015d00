from __future__ import annotations

from collections.abc import Iterator

import pytest
from s3_testing import S3Server, start_s3_server


@pytest.fixture(scope="session")
def auth_s3_server() -> Iterator[S3Server]:
    """A second S3 server that, unlike the shared one, checks credentials."""
    server = start_s3_server(auth=True)
    yield server
    server.stop()
