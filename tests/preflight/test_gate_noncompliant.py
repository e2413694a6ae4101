"""The deliberately non-compliant test stack (tests/fixtures/noncompliant) fails the gate with every planted violation.

`check` runs once in process (JSON report) and once as the command a user types (a subprocess, text on stdout).
Neither passes --pack: the fixture project has no pack of its own, so the gate uses the one beside preflight/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from preflight.cli import EXIT_FAILURE, main

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


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    """Exit code and JSON report of `check` on the non-compliant stack, run in this process from the repo root."""
    report = tmp_path_factory.mktemp("noncompliant") / "gate.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        code = main([*CHECK, "--format", "json", "--output", str(report)])
    return code, json.loads(report.read_text(encoding="utf-8"))


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
