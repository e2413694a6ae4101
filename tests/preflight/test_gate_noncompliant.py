"""The deliberately non-compliant test stack (tests/fixtures/noncompliant) fails the gate with every planted violation.

`check` runs once in process (JSON report) and once as the command a user types (a subprocess, text on stdout).
Neither passes --pack: the fixture project has no pack of its own, so the gate uses the one beside preflight/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preflight.cli import EXIT_FAILURE, main
from preflight.report import FINDINGS_SCHEMA, SARIF_SCHEMA

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "noncompliant"
CHECK = ["check", "--stack", "noncompliant", "--project-dir", str(FIXTURE.relative_to(ROOT)), "--profile", "hipaa"]

# What the fixture plants -> (the policy that must catch it, the resource it is planted on, a fact the message names).
PLANTS = {
    "EKS endpoint public to 0.0.0.0/0": ("aws-eks-cluster-disallow-public-endpoint", "public-cluster", "public"),
    "bucket without SSE-KMS": ("aws-s3-bucket-require-sse-kms", "plain-bucket", "plain-bucket"),
    "bucket without public access block": ("aws-s3-bucket-require-public-access-block", "plain-bucket", "plain-bucket"),
    "bucket without TLS-only policy": ("aws-s3-bucket-require-tls-policy", "plain-bucket", "plain-bucket"),
    "AWS provider outside the allowed regions": ("aws-provider-restrict-region", "eu-provider", "eu-west-1"),
    "privileged container": ("kubernetes-pod-disallow-privileged", "privileged-latest", "privileged"),
    "unpinned image": ("kubernetes-pod-require-pinned-image", "privileged-latest", "nginx:latest"),
    "security group open to 0.0.0.0/0": ("aws-security-group-disallow-open-ingress", "open-sg", "0.0.0.0/0"),
}


FORMATS = ("json", "sarif", "junit", "markdown")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Path]]:
    """Exit code of one `check` on the non-compliant stack writing every format, run in process from the repo root."""
    out = tmp_path_factory.mktemp("noncompliant")
    files = {fmt: out / f"gate.{fmt}" for fmt in FORMATS}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        code = main([*CHECK, *(arg for fmt, path in files.items() for arg in ("--format", fmt, "--output", str(path)))])
    return code, files


@pytest.fixture(scope="module")
def in_process(reports: tuple[int, dict[str, Path]]) -> tuple[int, dict[str, Any]]:
    code, files = reports
    return code, json.loads(files["json"].read_text(encoding="utf-8"))


def test_json_report_validates_against_its_schema(in_process: tuple[int, dict[str, Any]]) -> None:
    jsonschema.validate(in_process[1], json.loads(FINDINGS_SCHEMA.read_text()))


def test_sarif_report_validates_and_has_a_result_per_planted_violation(reports: tuple[int, dict[str, Path]]) -> None:
    sarif = json.loads(reports[1]["sarif"].read_text(encoding="utf-8"))
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    failing = {result["ruleId"] for result in sarif["runs"][0]["results"] if result["level"] == "error"}
    assert {policy for policy, _, _ in PLANTS.values()} <= failing


def test_junit_report_fails_the_case_of_every_planted_policy(reports: tuple[int, dict[str, Path]]) -> None:
    cases = {case.get("name"): case for case in ET.parse(reports[1]["junit"]).getroot().iter("testcase")}
    for policy, resource, _ in PLANTS.values():
        failure = cases[policy].find("failure")
        assert failure is not None, policy
        assert resource in (failure.text or "") + (failure.get("message") or ""), policy


def test_markdown_report_leads_with_a_failed_verdict(reports: tuple[int, dict[str, Path]]) -> None:
    text = reports[1]["markdown"].read_text(encoding="utf-8")
    assert "Policy gate failed" in text
    assert all(policy in text for policy, _, _ in PLANTS.values())


def test_check_exits_1(in_process: tuple[int, dict[str, Any]]) -> None:
    code, report = in_process
    assert code == EXIT_FAILURE
    assert report["verdict"]["passed"] is False


@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_planted_violation_is_reported_by_the_policy_that_catches_it(
    in_process: tuple[int, dict[str, Any]], plant: str
) -> None:
    policy, resource, fact = PLANTS[plant]
    _, report = in_process
    found = [
        f
        for f in report["findings"]
        if f["policy"] == policy and (f["urn"] or "").endswith(f"::{resource}") and f["status"] == "violation"
    ]
    assert found, f"{plant}: no {policy} violation on {resource}"
    assert all(f["enforcementLevel"] == "mandatory" and f["blocking"] for f in found)
    assert any(fact in f["message"] for f in found), [f["message"] for f in found]


def test_check_command_in_a_subprocess_names_every_planted_violation() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "preflight", *CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == EXIT_FAILURE, done.stderr[-2000:]
    assert "verdict:     FAILED" in done.stdout
    # The text report lists each finding as "! [<level>] <policy>" ("!" when blocking) followed by its resource's URN.
    missing = [
        plant
        for plant, (policy, resource, _) in PLANTS.items()
        if not re.search(
            rf"! \[mandatory\] {re.escape(policy)}\n\s+resource:\s+\S+::{re.escape(resource)}\n", done.stdout
        )
    ]
    assert missing == []


def test_check_prints_the_plan_before_the_findings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        main(CHECK)
    out = capsys.readouterr().out
    tree = out.index("pulumi:pulumi:Stack")
    assert tree < out.index("aws-security-group-disallow-open-ingress")
    assert "aws:s3/bucket:Bucket" in out[tree:]


def test_machine_readable_stdout_stays_parseable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        main([*CHECK, "--format", "json"])
    captured = capsys.readouterr()
    assert json.loads(captured.out)["verdict"]["passed"] is False
    assert "pulumi:pulumi:Stack" in captured.err


def test_analyze_of_the_saved_plan_reports_what_check_reports(
    in_process: tuple[int, dict[str, Any]], tmp_path: Path
) -> None:
    """A security reviewer's path: export the plan, audit the file offline with the real pack."""
    export, report = tmp_path / "plan.json", tmp_path / "analyze.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        assert main(["plan", *CHECK[1:5], "--export", str(export)]) == 0
        code = main(["analyze", str(export), "--profile", "hipaa", "--format", "json", "--output", str(report)])
    assert code == EXIT_FAILURE

    def violations(doc: dict[str, Any]) -> set[tuple[str, str]]:
        return {(f["policy"], f["urn"]) for f in doc["findings"] if f["status"] == "violation" and f["blocking"]}

    analyzed = violations(json.loads(report.read_text(encoding="utf-8")))
    assert {policy for policy, _, _ in PLANTS.values()} <= {policy for policy, _ in analyzed}
    assert analyzed == violations(in_process[1])
