"""The json format: valid against its own versioned schema, with findings, counts and timing."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from preflight.report import FINDINGS_SCHEMA, render
from preflight.report.model import GateReport
from tests.preflight.report.report_fixtures import BUCKET, DEPLOY, PLATFORM


def document(report: GateReport) -> dict[str, Any]:
    return json.loads(render(report, "json"))


def test_validates_against_findings_v1(report: GateReport) -> None:
    schema = json.loads(FINDINGS_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(document(report), schema, format_checker=jsonschema.FormatChecker())


def test_schema_rejects_an_unknown_status(report: GateReport) -> None:
    doc = document(report)
    doc["findings"][0]["status"] = "pass"
    with pytest.raises(jsonschema.ValidationError, match="'pass' is not one of"):
        jsonschema.validate(doc, json.loads(FINDINGS_SCHEMA.read_text()))


def test_header_names_stack_profile_pack_and_verdict(report: GateReport) -> None:
    doc = document(report)
    assert (doc["schemaVersion"], doc["stack"]["name"], doc["profile"]["name"]) == ("1", "prod", "hipaa")
    assert doc["pack"] == {"name": "inference-guardrails", "version": "1.0.0"}
    assert doc["verdict"] == {"passed": False, "exitCode": 1, "blocking": 2}


def test_finding_carries_everything_a_reviewer_needs(report: GateReport) -> None:
    undecided = next(f for f in document(report)["findings"] if f["status"] == "undecided")
    assert undecided == {
        "policy": "kubernetes-workload-require-image-digest",
        "severity": "medium",
        "enforcementLevel": "mandatory",
        "status": "undecided",
        "blocking": False,
        "urn": DEPLOY,
        "resourceType": "kubernetes:apps/v1:Deployment",
        "component": PLATFORM,
        "stage": "resource",
        "message": "string value at .spec.template.spec.containers[0].image can't be known during preview",
        "remediation": "Pin the image by @sha256 digest.",
        "controls": ["NIST SP 800-53 CM-7"],
    }


def test_resource_counts_by_type_and_component(report: GateReport) -> None:
    resources = document(report)["resources"]
    assert resources["total"] == 7
    assert resources["byType"]["aws:s3/bucket:Bucket"] == 1
    assert resources["byComponent"] == {"platform (inference:models:PublicCloud)": 5, "(none)": 2}


def test_policy_status_keeps_undecided_apart_from_pass(report: GateReport) -> None:
    statuses = {p["name"]: p["status"] for p in document(report)["policies"]}
    assert statuses["kubernetes-workload-require-image-digest"] == "undecided"
    assert statuses["aws-kms-key-require-rotation"] == "pass"
    assert statuses["aws-provider-require-fips-endpoint"] == "disabled"
    summary = document(report)["summary"]
    assert summary["policies"] == {"total": 6, "violation": 3, "undecided": 1, "pass": 1, "disabled": 1}
    assert summary["undecided"] == {"total": 1, "blocking": 0}


def test_timing_and_throughput(report: GateReport) -> None:
    timing = document(report)["timing"]
    assert timing["planSeconds"] == 2.5
    assert timing["resourcesPerSecond"] == pytest.approx(7 / 0.12, rel=1e-3)


def test_stack_wide_finding_has_null_urn(report: GateReport) -> None:
    stack_wide = [f for f in document(report)["findings"] if f["urn"] is None]
    assert [f["policy"] for f in stack_wide] == ["aws-s3-bucket-require-sse-kms"]
    assert BUCKET in {f["urn"] for f in document(report)["findings"]}
