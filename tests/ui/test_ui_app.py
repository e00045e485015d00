"""The app around the pages: read-only, a policy against injected script,
404 pages with the hint, every address of the routes table served."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from repro.project import Project
from repro.ui.app import create_app
from repro.ui.routes import ROUTES, route_path
from repro.ui.templating import report_environment

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

SAMPLE_VALUES = {"run": "01abc", "oid": "0" * 32, "name": "my_model", "path": "a/b.csv"}


def test_an_unknown_address_is_a_404_page_with_the_hint(ui_client: FlaskClient) -> None:
    response = ui_client.get("/no/such/page")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "there is no page at /no/such/page" in text
    assert 'href="/runs"' in text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_the_ui_accepts_no_writes(ui_client: FlaskClient, method: str) -> None:
    response = ui_client.open("/runs", method=method)
    assert response.status_code == 405


def test_pages_forbid_script_that_is_not_the_apps_own(ui_client: FlaskClient) -> None:
    policy = ui_client.get("/runs").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy


def test_home_is_the_runs_list(ui_client: FlaskClient) -> None:
    response = ui_client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/runs")


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_address_in_the_routes_table_is_served(ui_app: Flask, name: str) -> None:
    values = {key: value for key, value in SAMPLE_VALUES.items() if "{" + key + "}" in ROUTES[name]}
    endpoint, _ = ui_app.url_map.bind("localhost").match(route_path(name, **values))
    assert endpoint.split(".")[0] != "static"


def test_route_paths_quote_user_text() -> None:
    assert route_path("model", name="a/b?c") == "/models/a%2Fb%3Fc"
    assert route_path("tree_file", oid="ab", path="d/<x>.csv") == "/trees/ab/files/d/%3Cx%3E.csv"
    assert route_path("compare", {"run": ["a", "b"]}) == "/compare?run=a&run=b"


def test_a_report_links_nowhere_and_escapes() -> None:
    template = report_environment().from_string("{{ link('run', run=x) }}|{{ x }}")
    assert template.render(x="<script>") == "None|&lt;script&gt;"


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8765", "10.0.0.1:80"])
def test_a_request_addressed_to_another_host_is_refused(ui_client: FlaskClient, host: str) -> None:
    response = ui_client.get("/runs", headers={"Host": host})
    assert response.status_code == 400
    assert "answers requests to 127.0.0.1 only" in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["localhost:8765", "127.0.0.1:8765", "[::1]:8765", "127.0.0.2"])
def test_loopback_names_are_answered(ui_client: FlaskClient, host: str) -> None:
    assert ui_client.get("/runs", headers={"Host": host}).status_code == 200


def test_served_beyond_loopback_any_host_is_answered(project: Project) -> None:
    client = create_app(project, loopback_only=False).test_client()
    assert client.get("/runs", headers={"Host": "box.example:8765"}).status_code == 200
