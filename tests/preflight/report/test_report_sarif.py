"""SARIF 2.1.0 for code scanning: valid against the shipped schema, one rule per policy, one result per finding."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from preflight.report import SARIF_SCHEMA, render, sarif
from preflight.report.model import GateReport
from tests.preflight.report.report_fixtures import BUCKET, CLUSTER, DEPLOY, POLICIES


def document(report: GateReport) -> dict[str, Any]:
    return json.loads(render(report, "sarif"))


def result_for(doc: dict[str, Any], policy: str, urn: str) -> dict[str, Any]:
    results = doc["runs"][0]["results"]
    return next(
        r
        for r in results
        if r["ruleId"] == policy
        and r["locations"][0].get("logicalLocations", [{}])[0].get("fullyQualifiedName", "") == urn
    )


def test_validates_against_the_shipped_sarif_schema(report: GateReport) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validate(document(report), schema)


def test_shipped_schema_is_the_oasis_sarif_2_1_0_schema() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["$id"].endswith("/sarif-schema-2.1.0.json")


def test_one_rule_per_policy_with_help_severity_and_control_tags(report: GateReport) -> None:
    rules = document(report)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [p.name for p in POLICIES]
    eks = rules[0]
    assert eks["shortDescription"]["text"] == "EKS API endpoints are private."
    assert eks["help"]["text"] == "Set cluster.endpointPublicAccess: false."
    assert eks["properties"]["security-severity"] == "9.5"
    assert {"NIST SP 800-53 SC-7", "HIPAA 164.312(e)(1)", "security"} <= set(eks["properties"]["tags"])
    assert "Controls: NIST SP 800-53 SC-7, HIPAA 164.312(e)(1)." in eks["fullDescription"]["text"]


@pytest.mark.parametrize(("severity", "score"), [("critical", 9.5), ("high", 8.0), ("medium", 5.5), ("low", 3.0)])
def test_security_severity_falls_in_githubs_band(severity: str, score: float) -> None:
    bands = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}
    low, high = bands[severity]
    assert low <= float(sarif.SECURITY_SEVERITY[severity]) == score <= high


def test_one_result_per_finding_with_level_from_enforcement(report: GateReport) -> None:
    results = document(report)["runs"][0]["results"]
    assert len(results) == len(report.findings)
    levels = [(r["ruleId"], r["properties"]["status"], r["level"]) for r in results]
    assert levels == [
        ("aws-eks-cluster-restrict-public-endpoint", "violation", "error"),
        ("aws-s3-bucket-require-sse-kms", "violation", "error"),
        ("kubernetes-workload-require-image-digest", "undecided", "note"),
        ("aws-resource-require-tags", "violation", "note"),
        ("aws-s3-bucket-require-sse-kms", "violation", "warning"),
    ]


def test_blocking_undecided_is_an_error(strict_report: GateReport) -> None:
    result = result_for(document(strict_report), "kubernetes-workload-require-image-digest", DEPLOY)
    assert result["level"] == "error"
    assert result["message"]["text"].startswith("Undecided at preview")


def test_config_caused_finding_points_at_the_stack_file_key_line(report: GateReport) -> None:
    result = result_for(document(report), "aws-eks-cluster-restrict-public-endpoint", CLUSTER)
    physical = result["locations"][0]["physicalLocation"]
    assert physical == {
        "artifactLocation": {"uri": "Pulumi.prod.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 19},
    }
    assert "config key `inference-platform:cluster` in Pulumi.prod.yaml" in result["message"]["text"]
    # Where the resource is declared, as a related location.
    related = result["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "components/eks_cluster.py"
    assert related["region"]["startLine"] == 12


def test_other_findings_point_at_the_component_source(report: GateReport) -> None:
    result = result_for(document(report), "aws-resource-require-tags", BUCKET)
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "components/public_cloud.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] == 40


def test_urn_is_the_logical_location(report: GateReport) -> None:
    result = result_for(document(report), "aws-eks-cluster-restrict-public-endpoint", CLUSTER)
    assert result["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": CLUSTER, "name": "platform-eks", "kind": "resource"}
    ]


def test_stack_wide_finding_falls_back_to_the_stack_file(report: GateReport) -> None:
    results = document(report)["runs"][0]["results"]
    stack_wide = next(r for r in results if "logicalLocations" not in r["locations"][0])
    assert stack_wide["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.prod.yaml"


def test_each_stack_gets_its_own_category(report: GateReport) -> None:
    assert document(report)["runs"][0]["automationDetails"]["id"] == "preflight/prod/"


def test_results_have_stable_distinct_fingerprints(report: GateReport) -> None:
    first = [r["partialFingerprints"] for r in document(report)["runs"][0]["results"]]
    again = [r["partialFingerprints"] for r in document(report)["runs"][0]["results"]]
    assert first == again
    assert len({f["preflightFinding/v1"] for f in first}) == len(first)
