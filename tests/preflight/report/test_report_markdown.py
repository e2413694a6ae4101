"""The markdown format: a PR comment with a verdict line, a severity table, details and resource counts."""

from __future__ import annotations

from preflight.report import render
from preflight.report.markdown import comment_marker
from preflight.report.model import GateReport


def test_starts_with_marker_and_one_line_verdict(report: GateReport) -> None:
    lines = render(report, "markdown").splitlines()
    assert lines[0] == comment_marker("prod")
    assert lines[1].startswith("❌ **Policy gate failed** for `prod` on profile `hipaa`: 2 mandatory and 2 advisory")
    assert "1 undecided at preview" in lines[1]


def test_passing_verdict(report: GateReport) -> None:
    report.findings = [f for f in report.findings if not f.blocking]
    assert render(report, "markdown").splitlines()[1].startswith("✅ **Policy gate passed**")


def test_severity_table_counts_mandatory_advisory_and_undecided(report: GateReport) -> None:
    body = render(report, "markdown")
    assert "| Severity | Mandatory | Advisory | Undecided |" in body
    assert "| critical | 1 | 0 | 0 |" in body
    assert "| high | 1 | 1 | 0 |" in body
    assert "| medium | 0 | 0 | 1 |" in body


def test_details_sections_escape_table_cells(report: GateReport) -> None:
    body = render(report, "markdown")
    assert "<details><summary>critical: 1 finding(s)</summary>" in body
    assert "endpointPublicAccess is true \\| open to 0.0.0.0/0" in body
    assert "stack-wide:<br>second line" in body
    assert body.count("<details>") == body.count("</details>")


def test_resource_counts_by_type_and_component(report: GateReport) -> None:
    body = render(report, "markdown")
    assert "| `aws:eks/cluster:Cluster` | 1 |" in body
    assert "| platform (inference:models:PublicCloud) | 5 |" in body
