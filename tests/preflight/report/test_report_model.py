"""The findings model: verdict, blocking rules, statuses and grouping shared by every writer."""

from __future__ import annotations

from preflight.report.model import GateReport
from tests.preflight.report.report_fixtures import PLATFORM


def test_mandatory_violations_block(report: GateReport) -> None:
    assert [f.policy for f in report.blocking] == [
        "aws-eks-cluster-restrict-public-endpoint",
        "aws-s3-bucket-require-sse-kms",
    ]
    assert report.exit_code == 1


def test_undecided_blocks_only_under_fail_on_undecided(report: GateReport, strict_report: GateReport) -> None:
    assert not any(f.blocking for f in report.undecided)
    assert strict_report.undecided, "the fixture has no undecided finding"
    assert all(f.blocking for f in strict_report.undecided)


def test_without_blocking_findings_the_gate_passes(report: GateReport) -> None:
    report.findings = [f for f in report.findings if not f.blocking]
    assert report.passed
    assert report.exit_code == 0


def test_by_severity_orders_groups_and_puts_blocking_first(report: GateReport) -> None:
    groups = report.by_severity()
    assert list(groups) == ["critical", "high", "medium", "low"]  # empty groups are left out
    assert [f.blocking for f in groups["high"]] == [True, False]


def test_component_is_the_first_ancestor_below_the_stack(report: GateReport) -> None:
    counts = report.counts_by_component()
    assert counts == {"platform (inference:models:PublicCloud)": 5, "(none)": 2}
    assert report.resource_index[PLATFORM].component == PLATFORM
