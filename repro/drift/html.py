"""A drift report as one self-contained HTML page: a table with a small
inline bar per p-value and PSI, inline style, no script, nothing fetched.

Each bar is scaled so that it reaches the marked middle exactly at its
threshold: a PSI bar is ``psi / (2 * threshold)`` wide; a p-value bar shows
the evidence against "no drift", ``log10(p) / (2 * log10(alpha))``. Both
are capped at full width. Every text that comes from the data (column
names, test names, the title) is escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repro.drift.report import ColumnDrift, DriftReport, DriftThresholds

__all__ = ["render_html"]

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1f2328; }
h1 { font-size: 1.4em; }
.verdict { font-weight: 600; padding: .5em .8em; border-radius: 4px; display: inline-block; }
.verdict.drift { background: #ffebe9; color: #a40e26; }
.verdict.stable { background: #dafbe1; color: #116329; }
.settings { color: #59636e; }
table { border-collapse: collapse; margin-top: 1em; }
th, td { padding: .35em .7em; border-bottom: 1px solid #d1d9e0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.drifted td:first-child { border-left: 4px solid #cf222e; }
.bar { display: inline-block; position: relative; width: 80px; height: 8px;
       margin-left: .5em; background: #eff2f5; vertical-align: middle; }
.bar > span { position: absolute; left: 0; top: 0; bottom: 0; background: #8c959f; }
.bar.over > span { background: #cf222e; }
.bar::after { content: ""; position: absolute; left: 50%; top: -2px; bottom: -2px;
              border-left: 1px solid #1f2328; }
"""
_HEADERS = ("column", "kind", "test", "statistic", "p-value", "PSI", "values (ref / cur)", "drift")
_RULES = {
    "either": "its p-value is below alpha or its PSI above the PSI threshold",
    "both": "its p-value is below alpha and its PSI above the PSI threshold",
    "p_value": "its p-value is below alpha",
    "psi": "its PSI is above the PSI threshold",
}


def render_html(report: DriftReport, title: str) -> str:
    rows = "\n".join(_row(result, report.thresholds) for result in report.columns)
    head = "".join(f"<th>{escape(name)}</th>" for name in _HEADERS)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n{_verdict(report)}\n{_settings(report)}\n"
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n"
        "</body>\n</html>\n"
    )


def _verdict(report: DriftReport) -> str:
    drifted = report.drifted_columns
    count = f"{len(drifted)} of {len(report.columns)} columns drifted"
    names = f": {', '.join(drifted)}" if drifted else ""
    if report.drift:
        return f'<p class="verdict drift">Drift detected — {escape(count + names)}</p>'
    return f'<p class="verdict stable">No drift — {escape(count + names)}</p>'


def _settings(report: DriftReport) -> str:
    limits = report.thresholds
    dataset = (
        "any column drifts"
        if limits.share is None
        else f"at least {limits.share:.0%} of the columns drift"
    )
    text = (
        f"Detector {report.detector}; alpha {limits.alpha:g}, PSI threshold {limits.psi:g}. "
        f"A column drifts when {_RULES[limits.column_rule]}; the dataset drifts when {dataset}."
    )
    return f'<p class="settings">{escape(text)}</p>'


def _row(result: ColumnDrift, limits: DriftThresholds) -> str:
    cells = (
        f"<td>{escape(result.column)}</td>",
        f"<td>{escape(result.kind)}</td>",
        f"<td>{escape(result.test)}</td>",
        f'<td class="n">{_number(result.statistic)}</td>',
        f'<td class="n">{_number(result.p_value)}{_p_bar(result.p_value, limits.alpha)}</td>',
        f'<td class="n">{_number(result.psi)}{_bar(_psi_share(result.psi, limits.psi))}</td>',
        f'<td class="n">{result.reference_size} / {result.current_size}</td>',
        f"<td>{'yes' if result.drifted else 'no'}</td>",
    )
    css = ' class="drifted"' if result.drifted else ""
    return f"<tr{css}>{''.join(cells)}</tr>"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _psi_share(psi: float | None, threshold: float) -> float | None:
    return None if psi is None else psi / (2 * threshold)


def _p_bar(p_value: float | None, alpha: float) -> str:
    if p_value is None:
        return ""
    # A p-value of 0 (underflow) is the strongest evidence there is.
    evidence = 1.0 if p_value <= 0 else math.log10(p_value) / (2 * math.log10(alpha))
    return _bar(evidence)


def _bar(share: float | None) -> str:
    if share is None:
        return ""
    width = min(max(share, 0.0), 1.0)
    over = " over" if share > 0.5 else ""
    return f'<span class="bar{over}"><span style="width:{width:.0%}"></span></span>'
