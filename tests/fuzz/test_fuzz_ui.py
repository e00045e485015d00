"""Fuzzing the web UI with what the other attacks plant: a crafted remote
run fetched into the index, an unvalidated record in ``.repro/runs/``,
their crafted trees and payload objects (a pickle, an object ``.npy``), a
hostile ``models.yaml``; the real ``repro ui`` server is started on a free
loopback port and a few pages are fetched over HTTP, with hostile paths and
queries too. Properties: no page answers 500 or hangs, the server prints no
traceback, and nothing is written outside the project's data paths.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import yaml
from fuzz_attacks import (
    FORMS,
    Store,
    any_mutations,
    craft_record,
    craft_tree,
    hostile_names,
    hostile_paths,
    local_store,
    models_mutations,
    mutate_models,
    plant_record,
    publish,
    tree_specs,
    yaml_text,
)
from fuzz_harness import (
    MEMORY,
    TIMEOUT,
    Case,
    Finding,
    Outcome,
    attack,
    environment,
    fuzz_settings,
    judge_writes,
    kill_group,
    last_traceback_line,
    listing,
)
from fuzz_project import Template
from hypothesis import given
from hypothesis import strategies as st

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_URL = re.compile(rb"http://127\.0\.0\.1:\d+/")


def _limits() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@contextlib.contextmanager
def ui_server(case: Case) -> Iterator[tuple[str | None, Path]]:
    """The real `repro ui` on a free port: yields its URL (None if it never
    said one) and the file its stderr goes to (a file, not a pipe: a server
    blocked on a full pipe would look hung)."""
    out, err = case.root / "tmp" / "ui.out", case.root / "tmp" / "ui.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "repro", "ui", "--port", "0"],
            cwd=case.project,
            env=environment(case),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            preexec_fn=_limits,
            start_new_session=True,
        )
    try:
        yield _wait_for_url(process, out), err
    finally:
        kill_group(process)
        process.wait(timeout=10)


def _wait_for_url(process: subprocess.Popen[bytes], out: Path) -> str | None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = _URL.search(out.read_bytes())
        if found:
            return found.group(0).decode()
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def get(url: str) -> tuple[int | None, str]:
    try:
        with _opener.open(url, timeout=TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(2000).decode("utf-8", "replace")
    except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
        return None, str(error)


def q(text: str, safe: str = "") -> str:
    """``text`` quoted for a URL path, whatever it holds (a lone surrogate
    goes as the bytes a client would send)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def query(pairs: Any) -> str:
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


def pages(runs: list[str], stores: list[Store], name: str, path: str) -> list[str]:
    found = ["/", "/runs", "/metrics", "/models", "/models/tiny", f"/models/{q(name)}"]
    found += [f"/runs/{q(run)}" for run in runs]
    found.append("/compare?" + query([("run", run) for run in runs]))
    found.append("/runs?" + query({"pipeline": name, "status": name, "tag": name}))
    found.append("/metrics?" + query({"metric": name, "run": runs[-1]}))
    for store in stores:
        for tree, paths in list(store.trees.items())[:2]:
            found.append(f"/trees/{tree}")
            found += [f"/trees/{tree}/files/{q(p, '/')}" for p in paths[:2]]
        found += [f"/objects/{oid}" for oid in store.objects[-3:]]
        found += [f"/artifacts/{oid}" for oid in store.objects[-3:]]
    found += [f"/trees/{q(path)}", f"/objects/{q(path)}", f"/runs/{q(path, '/')}"]
    return found


@fuzz_settings(4)
@given(
    mutated=any_mutations(),
    planted=any_mutations(),
    form=st.sampled_from(FORMS),
    spare=tree_specs(),
    models=st.one_of(st.none(), models_mutations()),
    name=hostile_names(),
    path=hostile_paths(),
    noise=st.binary(max_size=200),
)
def test_ui_pages(
    template: Template,
    mutated: list,
    planted: list,
    form: str,
    spare: tuple,
    models: list | None,
    name: str,
    path: str,
    noise: bytes,
) -> None:
    with attack(template, "ui") as case:
        remote = Store(case, case.store)
        run = publish(remote, craft_record(remote, mutated))
        craft_tree(remote, spare)
        local = local_store(case)
        planted_run = plant_record(case, form, planted, noise, len(noise), "", local)
        craft_tree(local, spare)
        if models is not None:
            doc = yaml.safe_load(template.models)
            mutate_models(case, doc, models)
            (case.project / "models.yaml").write_bytes(yaml_text(doc, True))
        case.freeze()
        case.repro("fetch", "--", run)
        runs = [template.run, run, planted_run]
        before = listing(case.root)
        visited = []
        with ui_server(case) as (url, errors):
            if url is None:
                case.findings.append(Finding("ui-start", "repro ui", "no URL printed"))
            else:
                for page in pages(runs, [remote, local], case.fill(name), case.fill(path)):
                    status, body = get(url.rstrip("/") + page)
                    visited.append((page, status))
                    if status is None:
                        case.findings.append(Finding("hang", f"GET {page}", body))
                        break  # the server is stuck: the other pages would wait too
                    elif status >= 500:
                        kind = "ui-500" if "internal error" in body else "ui-error-page"
                        case.findings.append(Finding(kind, f"GET {page}", _message(body)))
        err = errors.read_text("utf-8", "replace")
        if "Traceback (most recent call last)" in err:
            case.findings.append(Finding("traceback", "repro ui", last_traceback_line(err)))
        outcome = Outcome(("ui",), 0, "", err[-500:], 0.0)
        for kind, detail in judge_writes(case, before, listing(case.root)):
            case.findings.append(Finding(kind, "repro ui", detail + "\n" + outcome.describe()))
        case.note(f"pages: {visited}")
        _log_pages(case, visited)


def _message(body: str) -> str:
    """The message of the UI's error page."""
    found = re.search(r"<main.*?</main>", body, re.S)
    text = re.sub(r"<[^>]+>", " ", found.group(0) if found else body)
    return re.sub(r"\s+", " ", text).strip()[:1000]


def _log_pages(case: Case, visited: list[tuple[str, int | None]]) -> None:
    import json

    path = os.environ.get("REPRO_FUZZ_LOG")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as file:
        for page, status in visited:
            entry = {"test": case.test, "command": "ui page", "args": [page], "code": status}
            file.write(json.dumps(entry) + "\n")
