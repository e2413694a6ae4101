"""``preflight evidence``: the compliance record of each stack, from the session's plan and one gate run per stack."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preflight import evidence, plan, stackfile
from preflight.cli import EXIT_OK, EXIT_USAGE, main
from preflight.engine import SECRET_SIG, SIG_KEY, STACK_TYPE, UNKNOWN, PlanResult, RecordedResource
from preflight.export import WITHHELD
from preflight.report.model import LIMITATIONS, Finding, GateReport, PolicyMeta

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"
STACKS = ("dev", "prod", "private", "onprem", "hybrid", "edge")
SECRET_STACKS = ("onprem", "hybrid", "edge")
PHASES = ["provisioning", "packaging", "integration", "acceptance", "staged rollout", "hypercare", "handover"]
PlanOf = Callable[[str], PlanResult]


@dataclass(frozen=True)
class Record:
    doc: dict[str, Any]
    markdown: str
    raw_json: str


@pytest.fixture(scope="module")
def record_of(plan_of: PlanOf, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Record]:
    """``record_of("prod")``: the evidence files of a stack, from its session plan and one gate run per module."""
    cache: dict[str, Record] = {}

    def get(stack: str) -> Record:
        if stack not in cache:
            stack_file = stackfile.load_stack(ROOT, stack)
            profile = evidence.stack_profile(stack_file, None, PACK)
            report = evidence.evaluate_plan(stack_file, plan_of(stack), profile, PACK)
            doc = evidence.build(stack_file, plan_of(stack), report, pack_dir=PACK)
            md, js = evidence.write(doc, tmp_path_factory.mktemp(f"evidence-{stack}"))
            assert (md.name, js.name) == (f"evidence-{stack}.md", f"evidence-{stack}.json")
            text = js.read_text(encoding="utf-8")
            cache[stack] = Record(json.loads(text), md.read_text(encoding="utf-8"), text)
        return cache[stack]

    return get


def control(record: Record, framework: str, control_id: str) -> dict[str, Any]:
    return next(c for c in record.doc["controls"] if (c["framework"], c["id"]) == (framework, control_id))


def policy(record: Record, name: str) -> dict[str, Any]:
    return next(p for p in record.doc["policies"] if p["name"] == name)


# -- every stack ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_record_validates_against_the_evidence_schema(record_of: Callable[[str], Record], stack: str) -> None:
    record = record_of(stack)
    jsonschema.validate(record.doc, json.loads(evidence.EVIDENCE_SCHEMA.read_text(encoding="utf-8")))
    assert record.doc["stack"] == {"name": stack, "project": "inference-platform", "file": f"Pulumi.{stack}.yaml"}


@pytest.mark.parametrize("stack", STACKS)
def test_markdown_opens_with_the_offline_notice_and_its_limits(record_of: Callable[[str], Record], stack: str) -> None:
    markdown = record_of(stack).markdown
    head = markdown.split("\n## ", 1)[0]
    assert head.startswith(f"# Compliance evidence: stack `{stack}`")
    assert "> **Offline record.** This record comes from an offline plan" in head
    assert all(f"> - {item}" in head for item in LIMITATIONS)


@pytest.mark.parametrize("stack", STACKS)
def test_markdown_maps_the_stack_to_the_nist_ai_rmf_phases(record_of: Callable[[str], Record], stack: str) -> None:
    section = record_of(stack).markdown.split("## NIST AI RMF lifecycle\n", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    assert lines[0] == "| Phase | Risk category | What this stack does | Left to the operator |"
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert [row[0] for row in rows] == PHASES
    assert all(row[1] in ("GOVERN", "MAP", "MEASURE", "MANAGE") and row[2] and row[3] for row in rows)


@pytest.mark.parametrize("stack", STACKS)
def test_unknown_values_are_stated_not_leaked_as_sentinels(record_of: Callable[[str], Record], stack: str) -> None:
    record = record_of(stack)
    assert UNKNOWN not in record.raw_json
    assert UNKNOWN not in record.markdown


@pytest.mark.parametrize("stack", SECRET_STACKS)
def test_no_secret_from_the_stack_file_reaches_the_record(record_of: Callable[[str], Record], stack: str) -> None:
    record = record_of(stack)
    ciphertexts = re.findall(r"secure:\s*(\S+)", (ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    assert ciphertexts, f"Pulumi.{stack}.yaml has no secure value to check"
    for text in (record.raw_json, record.markdown):
        assert not [c for c in ciphertexts if c in text]
        assert stackfile.SECRET_PLACEHOLDER not in text
        assert WITHHELD not in text


@pytest.mark.parametrize("stack", STACKS)
def test_controls_no_policy_maps_to_are_gaps_with_an_owner(record_of: Callable[[str], Record], stack: str) -> None:
    record = record_of(stack)
    parsed = [evidence.parse_control(label) for p in record.doc["policies"] for label in p["controls"]]
    mapped = {item for item in parsed if item is not None}
    unmapped = {
        (c.framework, c.id)
        for c in evidence.CONTROLS_IN_SCOPE
        if not any(fw == c.framework and (cid == c.id or cid.startswith(c.id + "(")) for fw, cid in mapped)
    }
    gaps = {(g["framework"], g["id"]): g for g in record.doc["gaps"] if g["reason"].startswith("no policy")}
    assert set(gaps) == unmapped
    assert unmapped, "every control in scope is mapped: the gap list is never exercised"
    assert all(g["owner"] for g in gaps.values())


# -- controls and policies -----------------------------------------------------------------------------------------


def test_control_lists_the_policies_that_enforce_it_with_their_result(record_of: Callable[[str], Record]) -> None:
    row = control(record_of("prod"), "NIST SP 800-53", "SC-28")
    assert {"name": "aws-s3-bucket-require-sse-kms", "status": "pass"} in row["policies"]
    assert row["inScope"] is True


def test_control_enhancements_count_for_the_control_in_scope(record_of: Callable[[str], Record]) -> None:
    # aws-kms-key-require-rotation maps to SC-12(1) (an enhancement): it enforces SC-12.
    record = record_of("prod")
    assert "NIST SP 800-53 SC-12(1)" in policy(record, "aws-kms-key-require-rotation")["controls"]
    assert "aws-kms-key-require-rotation" in [p["name"] for p in control(record, "NIST SP 800-53", "SC-12")["policies"]]


def test_a_policy_with_no_resource_of_its_types_is_not_applicable(record_of: Callable[[str], Record]) -> None:
    prod, hybrid = record_of("prod"), record_of("hybrid")
    assert policy(prod, "aws-vpn-connection-require-tunnel-logging")["status"] == "not-applicable"
    assert policy(prod, "aws-vpn-connection-require-tunnel-logging")["applicableResources"] == 0
    assert policy(hybrid, "aws-vpn-connection-require-tunnel-logging")["applicableResources"] > 0


# -- what the stack deploys ----------------------------------------------------------------------------------------


def test_deployment_section_names_model_regions_zones_profile_and_classification(
    record_of: Callable[[str], Record],
) -> None:
    deployment = record_of("prod").doc["deployment"]
    assert (deployment["model"], deployment["regions"], deployment["residencyZones"]) == (
        "public-cloud",
        ["us-east-2"],
        ["us"],
    )
    assert (deployment["dataClassification"], deployment["profile"]["name"]) == ("phi", "hipaa")


def test_images_are_listed_with_their_digest_and_track(record_of: Callable[[str], Record]) -> None:
    images = {i["reference"]: i for i in record_of("prod").doc["artifacts"]["images"]}
    stable = json.loads(stackfile.load_stack(ROOT, "prod").config["inference-platform:inference"])["image"]["reference"]
    assert images[stable]["digest"] == stable.rsplit("@", 1)[1]
    assert (images[stable]["pinned"], images[stable]["track"]) == (True, "stable")


def test_edge_waves_run_the_candidate_up_to_candidate_max_wave(record_of: Callable[[str], Record]) -> None:
    rollout = record_of("edge").doc["rollout"]
    waves = {w["wave"]: w["modelVersions"] for w in rollout["edgeWaves"]}
    assert (rollout["strategy"], rollout["candidateMaxWave"]) == ("waves", 1)
    assert waves == {1: [rollout["candidate"]["modelVersion"]], 2: [rollout["stable"]["modelVersion"]]}


def test_edge_images_are_tracked_as_stable_and_candidate(record_of: Callable[[str], Record]) -> None:
    record = record_of("edge")
    rollout = record.doc["rollout"]
    tracks = {i["reference"]: i["track"] for i in record.doc["artifacts"]["images"]}
    assert tracks == {rollout["stable"]["image"]: "stable", rollout["candidate"]["image"]: "candidate"}


def test_each_key_lists_what_it_protects(record_of: Callable[[str], Record]) -> None:
    keys = {k["name"]: k for k in record_of("prod").doc["encryptionKeys"]["keys"]}
    s3 = keys["platform-keys-s3"]
    assert [(p["resource"], p["target"]) for p in s3["protects"]] == [
        ("platform-artifacts-encryption", ["platform-artifacts-bucket"])
    ]
    assert {p["resource"] for p in keys["platform-keys-logs"]["protects"]} == {
        "platform-network-flow-logs",
        "platform-cluster-logs",
    }
    assert s3["rotation"] is True


def test_exposure_paths_of_the_private_cloud_are_private(record_of: Callable[[str], Record]) -> None:
    paths = record_of("private").doc["exposurePaths"]["paths"]
    kinds = {p["kind"]: p for p in paths}
    assert kinds["Endpoint service"]["scope"] == "private (PrivateLink)"
    assert all(p["scope"] != "internet-facing" for p in paths)
    assert all(p["tls"] for p in paths if p["kind"] == "Listener")


def test_edge_exposure_is_the_devices_own_address(record_of: Callable[[str], Record]) -> None:
    paths = record_of("edge").doc["exposurePaths"]["paths"]
    assert {p["scope"] for p in paths} == {"device address"}


def test_audit_logs_name_their_destination_retention_and_key(record_of: Callable[[str], Record]) -> None:
    sources = record_of("hybrid").doc["auditLogs"]["sources"]
    eks = next(s for s in sources if s["kind"] == "EKS control plane")
    tunnels = [s for s in sources if s["kind"] == "VPN tunnel log"]
    assert {"api", "audit", "authenticator"} <= set(eks["records"])
    assert len(tunnels) == 2
    assert all(t["destination"]["kmsKey"] and t["destination"]["retentionDays"] for t in tunnels)


def test_audit_log_groups_name_the_locked_archive_they_are_copied_to(record_of: Callable[[str], Record]) -> None:
    audit = record_of("prod").doc["auditLogs"]
    archives = {a["bucket"]: a for a in audit["archives"]}
    eks = next(s for s in audit["sources"] if s["kind"] == "EKS control plane")
    archive = archives[eks["destination"]["archive"]]
    assert archive["objectLock"]["mode"] == "COMPLIANCE"
    assert archive["kmsKey"] is not None
    assert len(archive["fedBy"]) >= 1


def test_rollout_shows_the_traffic_split_weights(record_of: Callable[[str], Record]) -> None:
    rollout = record_of("prod").doc["rollout"]
    assert rollout["strategy"] == "canary"
    assert {tuple(s["weights"].items()) for s in rollout["trafficSplits"]} == {(("inference-stable", 100),)}


# -- secrets in the plan -------------------------------------------------------------------------------------------


def _synthetic_plan(resource: RecordedResource) -> PlanResult:
    stack = RecordedResource(
        urn=f"urn:pulumi:dev::inference-platform::{STACK_TYPE}::inference-platform-dev",
        type=STACK_TYPE,
        name="inference-platform-dev",
        custom=False,
    )
    return PlanResult("inference-platform", "dev", True, [stack, resource], {}, 0.0)


def _empty_report() -> GateReport:
    return GateReport("evidence", "dev", "inference-platform", "baseline", "pack", "1", True, False, [], [], [])


def _deployment(image: Any, version: Any) -> RecordedResource:
    labels = {"app.kubernetes.io/name": "svc", "app.kubernetes.io/version": version}
    return RecordedResource(
        urn="urn:pulumi:dev::inference-platform::kubernetes:apps/v1:Deployment::svc",
        type="kubernetes:apps/v1:Deployment",
        name="svc",
        custom=True,
        inputs={
            "metadata": {"labels": labels},
            "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [{"image": image}]}}},
        },
    )


def _policy(name: str, control: str) -> PolicyMeta:
    return PolicyMeta(name=name, description="", severity="high", enforcement_level="mandatory", controls=(control,))


def test_an_undecided_policy_makes_its_control_undecided_never_passed() -> None:
    control_label = "NIST SP 800-53 SC-28(1)"  # an enhancement: counts for SC-28 in scope
    report = _empty_report()
    report.policies = [_policy("decided", control_label), _policy("needs-computed-value", control_label)]
    report.findings = [
        Finding("needs-computed-value", "high", "mandatory", "undecided", "", "", "unknown", "", (), "resource", False)
    ]
    image = "nvcr.io/nvidia/tritonserver:24.08-py3@sha256:" + "a" * 64
    doc = evidence.build(stackfile.load_stack(ROOT, "dev"), _synthetic_plan(_deployment(image, "1.0.0")), report)
    statuses = {p["name"]: p["status"] for p in doc["policies"]}
    sc28 = next(c for c in doc["controls"] if c["id"] == "SC-28")
    assert statuses == {"decided": "pass", "needs-computed-value": "undecided"}
    assert sc28["status"] == "undecided"
    assert doc["gate"]["policies"]["undecided"] == 1


def test_a_secret_value_in_the_plan_is_shown_as_secret() -> None:
    secret_image = {SIG_KEY: SECRET_SIG, "value": "registry.example/private:hunter2"}
    result = _synthetic_plan(_deployment(secret_image, "1.0.0"))
    text = json.dumps(evidence.build(stackfile.load_stack(ROOT, "dev"), result, _empty_report()))
    assert "hunter2" not in text
    assert evidence.SECRET_SHOWN in text


def test_the_offline_secret_placeholder_never_reaches_the_record() -> None:
    image = "nvcr.io/nvidia/tritonserver:24.08-py3@sha256:" + "a" * 64
    result = _synthetic_plan(_deployment(image, f"v-{stackfile.SECRET_PLACEHOLDER}"))
    doc = evidence.build(stackfile.load_stack(ROOT, "dev"), result, _empty_report())
    text = json.dumps(doc) + evidence.render_markdown(doc)
    assert stackfile.SECRET_PLACEHOLDER not in text
    assert [m["version"] for m in doc["artifacts"]["models"]] == [evidence.SECRET_SHOWN]


# -- command line --------------------------------------------------------------------------------------------------


def test_evidence_command_writes_both_files(
    plan_of: PlanOf, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The session's edge plan stands in for the plan step; the gate runs for real.
    monkeypatch.setattr(plan, "plan_stack", lambda project_dir, stack, **_: (None, plan_of(stack)))
    code = main(["evidence", "--stack", "edge", "--project-dir", str(ROOT), "--output-dir", str(tmp_path)])
    assert code == EXIT_OK
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence-edge.json", "evidence-edge.md"]
    assert f"wrote {tmp_path / 'evidence-edge.json'}" in capsys.readouterr().err


def test_evidence_command_rejects_an_unknown_profile_before_planning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(plan, "plan_stack", lambda *a, **k: pytest.fail("planned despite a bad profile"))
    code = main(
        ["evidence", "--stack", "dev", "--project-dir", str(ROOT), "--profile", "nope", "--output-dir", str(tmp_path)]
    )
    assert code == EXIT_USAGE
    assert "unknown profile 'nope'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
