"""The text format: violations grouped by severity, undecided apart, then the summary."""

from __future__ import annotations

from preflight.report import render
from preflight.report.model import UNDECIDED, GateReport
from tests.preflight.report.report_fixtures import CLUSTER, DEPLOY


def test_groups_violations_by_severity_most_severe_first(report: GateReport) -> None:
    body = render(report, "text")
    violations = body.split("Undecided at preview")[0]
    assert violations.index("CRITICAL (1)") < violations.index("HIGH (2)") < violations.index("LOW (1)")


def test_finding_shows_urn_policy_level_message_and_remediation(report: GateReport) -> None:
    body = render(report, "text")
    block = body[body.index("[mandatory] aws-eks-cluster-restrict-public-endpoint") :]
    assert block.startswith("[mandatory] aws-eks-cluster-restrict-public-endpoint\n      resource:    " + CLUSTER)
    assert "remediation: Set cluster.endpointPublicAccess: false." in block


def test_undecided_are_listed_in_their_own_section(report: GateReport) -> None:
    undecided = render(report, "text").split("Undecided at preview")[1].split("Summary")[0]
    assert DEPLOY in undecided
    assert "not a pass" in undecided


def test_summary_counts_levels_statuses_and_throughput(report: GateReport) -> None:
    summary = render(report, "text").split("Summary")[1]
    assert "verdict:     FAILED (2 blocking finding(s))" in summary
    assert "violations:  mandatory 2, advisory 2" in summary
    assert "policies:    6 (violated 3, undecided 1, passed 1, disabled 1)" in summary
    assert "7 analyzed" in summary
    assert "58 resources/s" in summary


def _undecided_line(report: GateReport) -> str:
    summary = render(report, "text").split("Summary")[1]
    return next(line.strip() for line in summary.splitlines() if line.strip().startswith("undecided:"))


def test_summary_states_that_undecided_checks_do_not_fail_by_default(report: GateReport) -> None:
    assert _undecided_line(report) == (
        "undecided:   1 (mandatory 1); --fail-on-undecided is off: undecided checks do not fail the gate"
    )


def test_summary_states_the_fail_on_undecided_mode_without_claiming_a_failure(strict_report: GateReport) -> None:
    # Nothing undecided: the line states the mode; it must not read as if the gate failed on undecided checks.
    strict_report.findings = [f for f in strict_report.findings if f.status != UNDECIDED]
    assert _undecided_line(strict_report) == (
        "undecided:   0 (mandatory 0); --fail-on-undecided is on: undecided mandatory checks fail the gate"
    )
