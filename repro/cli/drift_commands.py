"""Typer wiring of ``repro drift``: show a drift report that a run stored
(a step's output or a logged artifact), as a table or as an HTML page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption
from repro.errors import ReproError, UsageError

if TYPE_CHECKING:
    from repro.drift import DriftReport

__all__ = [
    "AmbiguousDriftReportError",
    "NoDriftReportError",
    "StoredReport",
    "load_report",
    "register",
]

drift_app = typer.Typer(
    help="Drift reports stored by runs (a step that returns repro.drift.detect_drift(...)).",
    no_args_is_help=True,
)


class NoDriftReportError(ReproError, LookupError):
    def __init__(self, run: str, where: str | None, available: list[str]) -> None:
        self.run, self.where, self.available = run, where, available
        scope = f"step {where!r} of run {run}" if where else f"run {run}"
        hint = (
            f"it has some in {', '.join(available)}"
            if available
            else "return repro.drift.detect_drift(...) from a step to store one"
        )
        super().__init__(f"{scope} has no drift report; {hint}")


class AmbiguousDriftReportError(UsageError):
    def __init__(self, run: str, candidates: list[str]) -> None:
        self.run, self.candidates = run, candidates
        super().__init__(
            f"run {run} has {len(candidates)} drift reports ({', '.join(candidates)}); "
            "name one as STEP or STEP/OUTPUT"
        )


@dataclass(frozen=True)
class StoredReport:
    run: str
    step: str
    output: str  # the output's name, or the name it was logged under
    oid: str
    report: DriftReport

    @property
    def where(self) -> str:
        return f"{self.step}/{self.output}"


def load_report(run: str, where: str | None) -> StoredReport:
    """The drift report of run ``run`` (any unique prefix) in ``where``:
    ``STEP`` or ``STEP/OUTPUT``, or None when the run stored only one."""
    from repro.drift import DriftReport
    from repro.lineage.runs import RunIndex
    from repro.materialize import Artifact, MaterializeOptions, load
    from repro.project import find_project

    project = find_project()
    index = RunIndex(project.repro_dir)
    record = index.load(index.resolve(run))
    step, name, artifact = _choose(record.id, _drift_outputs(record), where)
    options = MaterializeOptions(algorithm=project.config.core.hash)
    report = load(Artifact.from_dict(artifact.model_dump()), project.store(), options)
    assert isinstance(report, DriftReport)  # its materializer loads nothing else
    return StoredReport(record.id, step, name, artifact.oid, report)


def _drift_outputs(record: Any) -> list[tuple[str, str, Any]]:
    from repro.materialize.reports import DRIFT_REPORT_MATERIALIZER

    return [
        (step_name, name, artifact)
        for step_name, step in record.ordered_steps()
        for stored in (step.outputs, step.artifacts)
        for name, artifact in stored.items()
        if artifact.materializer == DRIFT_REPORT_MATERIALIZER
    ]


def _choose(run: str, found: list[tuple[str, str, Any]], where: str | None) -> tuple[str, str, Any]:
    step, _, name = (where or "").partition("/")
    chosen = [
        item for item in found if (not step or item[0] == step) and (not name or item[1] == name)
    ]
    if not chosen:
        raise NoDriftReportError(run, where, [f"{s}/{n}" for s, n, _ in found])
    if len(chosen) > 1:
        raise AmbiguousDriftReportError(run, [f"{s}/{n}" for s, n, _ in chosen])
    return chosen[0]


@drift_app.command("show")
def show(
    run: Annotated[str, typer.Argument(help="Run id (or unique prefix).")],
    step: Annotated[
        str | None,
        typer.Argument(
            help="STEP or STEP/OUTPUT holding the report (needed when the run stored several).",
            metavar="[STEP]",
        ),
    ] = None,
    html: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the report as an HTML page here.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show the drift report that RUN stored: the verdict and a row per column,
    or, with -o, a self-contained HTML page."""
    stored = load_report(run, step)
    if html is not None:
        _write_html(stored, html)
    if as_json:
        output.print_json(
            {
                "run": stored.run,
                "step": stored.step,
                "output": stored.output,
                "oid": stored.oid,
                "html": html,
                "report": stored.report.to_dict(),
            }
        )
    elif html is not None:
        output.say(f"wrote the drift report of run {stored.run}, {stored.where}, to {html}")
    else:
        _say_report(stored)


def _write_html(stored: StoredReport, path: str) -> None:
    from repro.atomic import write_atomic

    page = stored.report.to_html(f"Drift report: run {stored.run}, {stored.where}")
    write_atomic(path, page.encode("utf-8"))


def _say_report(stored: StoredReport) -> None:
    report = stored.report
    verdict = "DRIFT" if report.drift else "no drift"
    drifted = f"{len(report.drifted_columns)} of {len(report.columns)} columns drifted"
    output.say(f"run {stored.run}, {stored.where}: {verdict} ({drifted}; {report.detector})")
    output.say(
        f"{'column':<24} {'kind':<12} {'test':<8} {'statistic':>10} {'p-value':>10} "
        f"{'PSI':>8}  drifted"
    )
    for column in report.columns:
        output.say(
            f"{column.column:<24} {column.kind:<12} {column.test:<8} "
            f"{_number(column.statistic):>10} {_number(column.p_value):>10} "
            f"{_number(column.psi):>8}  {'yes' if column.drifted else 'no'}"
        )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def register(app: typer.Typer) -> None:
    app.add_typer(drift_app, name="drift")
