"""The real pack as a process over gRPC on the real stacks: each passes its own profile with no mandatory violation.

Each stack is planned once per session (``plan_of``) and gated once per module, writing every report format at
once; the tests read those files. One test runs the `check` command itself end to end.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preflight import analyzer, gate, stackfile
from preflight.cli import main
from preflight.engine import PlanResult
from preflight.report import FINDINGS_SCHEMA, SARIF_SCHEMA, write_reports
from preflight.report.model import GateReport

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"
# Stack -> the profile its stack file selects (compliance.profile).
STACKS = {"dev": "baseline", "prod": "hipaa"}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class GateRun:
    report: GateReport
    files: dict[str, Path]

    def json(self, fmt: str) -> dict[str, Any]:
        return json.loads(self.files[fmt].read_text())


@pytest.fixture(scope="module", params=sorted(STACKS))
def gate_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, plan_of: Callable[[str], PlanResult]
) -> tuple[str, GateRun]:
    """What `check --stack <stack>` computes, from the session's plan of the stack, with every format written."""
    stack = request.param
    stack_file = stackfile.load_stack(ROOT, stack)
    name = gate.stack_profile_name(stack_file.config, stack_file.project)
    assert name is not None, f"Pulumi.{stack}.yaml selects no compliance.profile"
    profile = gate.load_profile(name, PACK)
    undecided = gate.fail_on_undecided_default(profile, PACK)
    ev = gate.plan_evaluation(stack_file, plan_of(stack), profile, PACK, fail_on_undecided=undecided)
    report = gate.evaluate(ev, command="check")
    out = tmp_path_factory.mktemp(f"gate-{stack}")
    files = {fmt: out / f"{stack}.{fmt}" for fmt in ("json", "sarif", "junit", "markdown")}
    write_reports(report, list(files.items()))
    return stack, GateRun(report, files)


def test_check_command_runs_the_plan_and_the_pack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--stack", "dev", "--project-dir", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert "Policy gate (check): stack dev, profile baseline, pack inference-guardrails@" in out
    assert "verdict:     PASSED" in out


def test_stack_passes_its_profile_with_no_mandatory_violation(gate_run: tuple[str, GateRun]) -> None:
    stack, run = gate_run
    findings = run.json("json")
    mandatory = [
        f"{f['policy']} on {f['urn']}: {f['message']}"
        for f in findings["findings"]
        if f["status"] == "violation" and f["enforcementLevel"] == "mandatory"
    ]
    assert findings["profile"]["name"] == STACKS[stack]
    assert mandatory == []
    assert run.report.exit_code == 0


def test_every_policy_of_the_pack_is_configured_and_reported(gate_run: tuple[str, GateRun]) -> None:
    _, run = gate_run
    findings = run.json("json")
    assert findings["pack"]["name"] == "inference-guardrails"
    assert findings["pack"]["version"] == analyzer.pack_version_from_yaml(PACK)
    assert findings["summary"]["policies"]["total"] == len(findings["policies"]) > 0
    assert findings["resources"]["total"] > 0


def test_json_report_validates_against_its_schema(gate_run: tuple[str, GateRun]) -> None:
    _, run = gate_run
    jsonschema.validate(run.json("json"), json.loads(FINDINGS_SCHEMA.read_text()))


def test_sarif_report_validates_against_the_sarif_schema(gate_run: tuple[str, GateRun]) -> None:
    stack, run = gate_run
    sarif = run.json("sarif")
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    assert len(sarif["runs"][0]["tool"]["driver"]["rules"]) == run.json("json")["summary"]["policies"]["total"]
    assert sarif["runs"][0]["automationDetails"]["id"] == f"preflight/{stack}/"


def test_junit_report_parses_with_one_case_per_policy(gate_run: tuple[str, GateRun]) -> None:
    _, run = gate_run
    cases = list(ET.parse(run.files["junit"]).getroot().iter("testcase"))
    assert len(cases) == run.json("json")["summary"]["policies"]["total"]


def test_markdown_report_starts_with_the_verdict(gate_run: tuple[str, GateRun]) -> None:
    stack, run = gate_run
    lines = run.files["markdown"].read_text().splitlines()
    assert lines[1].startswith("✅ **Policy gate passed**" if run.report.passed else "❌ **Policy gate failed**")
    assert f"for `{stack}` on profile `{STACKS[stack]}`" in lines[1]


@pytest.fixture(scope="module")
def pack_info() -> analyzer.PackInfo:
    with analyzer.PolicyPackProcess(PACK) as pack:
        return pack.info()


@pytest.mark.parametrize("profile", sorted(p.stem for p in (PACK / "profiles").glob("*.json")))
def test_gate_configures_each_profile_as_the_pack_resolves_it(pack_info: analyzer.PackInfo, profile: str) -> None:
    # What the gate sends in Configure (the CLI's reconciliation of GetAnalyzerInfo and the profile) must equal the
    # pack's own reading of the profile.
    profiles = gate._guardrails(PACK)
    assert profiles is not None
    document = json.loads((PACK / "profiles" / f"{profile}.json").read_text())
    sent = analyzer.reconcile_config(pack_info, document)
    expected = profiles.resolve(document)
    assert {name: (cfg.enforcement_level, dict(cfg.properties)) for name, cfg in sent.items() if name != "all"} == {
        name: (value["enforcementLevel"], value["config"]) for name, value in expected.items()
    }
