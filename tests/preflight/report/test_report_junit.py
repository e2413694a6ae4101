"""JUnit XML: one test case per policy; failures list the violating resources; disabled and undecided skip."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from preflight.report import render
from preflight.report.model import GateReport
from tests.preflight.report.report_fixtures import BUCKET, CLUSTER, DEPLOY, POLICIES


def cases(report: GateReport) -> dict[str, ET.Element]:
    root = ET.fromstring(render(report, "junit"))
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_parses_with_one_testcase_per_policy(report: GateReport) -> None:
    root = ET.fromstring(render(report, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    assert [c.get("name") for c in suite.iter("testcase")] == [p.name for p in POLICIES]
    assert suite.get("tests") == str(len(POLICIES))
    assert (suite.get("failures"), suite.get("skipped")) == ("3", "2")


def test_failure_lists_the_violating_resources(report: GateReport) -> None:
    failure = cases(report)["aws-s3-bucket-require-sse-kms"].find("failure")
    assert failure is not None
    assert failure.get("type") == "mandatory"
    assert failure.text is not None
    assert f"{BUCKET}: no SSE-KMS" in failure.text
    assert "(stack): stack-wide:" in failure.text
    assert "Remediation: Add a server-side encryption configuration with a KMS key." in failure.text


def test_mandatory_violation_message_names_count_and_level(report: GateReport) -> None:
    failure = cases(report)["aws-eks-cluster-restrict-public-endpoint"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("1 mandatory violation(s)")
    assert CLUSTER in (failure.text or "")


def test_disabled_policy_is_skipped(report: GateReport) -> None:
    skipped = cases(report)["aws-provider-require-fips-endpoint"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "disabled by the profile"


def test_undecided_is_skipped_never_passed(report: GateReport) -> None:
    case = cases(report)["kubernetes-workload-require-image-digest"]
    skipped = case.find("skipped")
    assert case.find("failure") is None
    assert skipped is not None
    assert "undecided at preview" in skipped.get("message", "")
    assert DEPLOY in (skipped.text or "")


def test_undecided_fails_under_fail_on_undecided(strict_report: GateReport) -> None:
    failure = cases(strict_report)["kubernetes-workload-require-image-digest"].find("failure")
    assert failure is not None
    assert failure.get("type") == "undecided"


def test_passing_policy_has_no_failure_or_skip(report: GateReport) -> None:
    case = cases(report)["aws-kms-key-require-rotation"]
    assert list(case) == []
