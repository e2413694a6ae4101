"""`preflight check` / `preflight analyze`: exit codes, profiles, undecided handling, report files.

These run the fixture pack (tests/preflight/fixtures/pack) over the hand-written export; the real pack and the
real stacks are covered by test_gate_stacks.py.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preflight import analyzer, gate
from preflight.analyzer import AnalysisResult, Diagnostic, PolicyInfo
from preflight.cli import main
from preflight.report import FINDINGS_SCHEMA, SARIF_SCHEMA
from preflight.report.model import PolicyMeta

FIXTURES = Path(__file__).parent / "fixtures"
PACK = FIXTURES / "pack"
EXPORT = json.loads((FIXTURES / "export.json").read_text())
PROFILE = json.loads((FIXTURES / "profile.json").read_text())
PREFIX = "urn:pulumi:dev::fixture-project::"
WEB = PREFIX + "fixture:index:Group$aws:ec2/instance:Instance::web-vm"
KEEP_UNDECIDED_ONLY = {
    PREFIX + "pulumi:pulumi:Stack::fixture-project-dev",
    PREFIX + "pulumi:providers:aws::default_7_51_1",
    PREFIX + "fixture:index:Group::web",
    WEB,
}


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def export_with(urns: set[str]) -> dict[str, Any]:
    export = copy.deepcopy(EXPORT)
    export["deployment"]["resources"] = [r for r in export["deployment"]["resources"] if r["urn"] in urns]
    return export


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project directory: no stack files, so the profile must come from --profile."""
    path = tmp_path / "project"
    path.mkdir()
    return path


def analyze(project: Path, export: Path, *extra: str, profile: str | None = None) -> int:
    args = ["analyze", str(export), "--pack", str(PACK), "--project-dir", str(project)]
    if profile is not None:
        args += ["--profile", profile]
    return main([*args, *extra])


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    return write(tmp_path / "fixture.json", PROFILE)


# --- exit codes --------------------------------------------------------------------------------------------------


def test_mandatory_violation_exits_1(project: Path, profile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze(project, FIXTURES / "export.json", profile=str(profile_file)) == 1
    out = capsys.readouterr().out
    assert "verdict:     FAILED (2 blocking finding(s))" in out


def test_no_mandatory_violation_exits_0(project: Path, profile_file: Path, tmp_path: Path) -> None:
    clean = write(tmp_path / "clean.json", export_with(KEEP_UNDECIDED_ONLY - {WEB}))
    assert analyze(project, clean, profile=str(profile_file)) == 0


def test_advisory_violations_alone_do_not_fail(project: Path, profile_file: Path, tmp_path: Path) -> None:
    export = export_with(KEEP_UNDECIDED_ONLY - {WEB})
    provider = export["deployment"]["resources"][1]
    provider["inputs"]["region"] = "eu-west-1"  # an advisory policy objects
    path = write(tmp_path / "advisory.json", export)
    assert analyze(project, path, profile=str(profile_file)) == 0


def test_undecided_mandatory_check_passes_the_gate_by_default(
    project: Path, profile_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "undecided.json", export_with(KEEP_UNDECIDED_ONLY))
    assert analyze(project, path, profile=str(profile_file)) == 0
    out = capsys.readouterr().out
    assert "Undecided at preview" in out
    assert WEB in out


def test_fail_on_undecided_fails_an_undecided_mandatory_check(
    project: Path, profile_file: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "undecided.json", export_with(KEEP_UNDECIDED_ONLY))
    assert analyze(project, path, "--fail-on-undecided", profile=str(profile_file)) == 1


def test_fail_on_undecided_ignores_advisory_policies(project: Path, tmp_path: Path) -> None:
    profile = write(tmp_path / "p.json", {**PROFILE, "fixture-instance-ip-private": "advisory"})
    path = write(tmp_path / "undecided.json", export_with(KEEP_UNDECIDED_ONLY))
    assert analyze(project, path, "--fail-on-undecided", profile=str(profile)) == 0


def test_fedramp_high_fails_on_undecided_by_default(project: Path, tmp_path: Path) -> None:
    profile = write(tmp_path / "fedramp-high.json", PROFILE)
    path = write(tmp_path / "undecided.json", export_with(KEEP_UNDECIDED_ONLY))
    assert analyze(project, path, profile=str(profile)) == 1
    assert analyze(project, path, "--no-fail-on-undecided", profile=str(profile)) == 0


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({**PROFILE, "fixture-bucket-encrypted": "block"}, "fixture-bucket-encrypted: 'block' is not a valid"),
        ({"fixture-required-tags": "advisory"}, "fixture-provider-region: 'allowedRegions' is a required property"),
        ({**PROFILE, "fixture-required-tags": {"requiredTags": "owner"}}, "'owner' is not of type 'array'"),
    ],
)
def test_bad_profile_exits_2_naming_the_policy(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: dict[str, Any], message: str
) -> None:
    path = write(tmp_path / "bad.json", profile)
    assert analyze(project, FIXTURES / "export.json", profile=str(path)) == 2
    assert message in capsys.readouterr().err


def test_unknown_profile_name_exits_2_listing_profiles(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze(project, FIXTURES / "export.json", profile="no-such-profile") == 2
    assert "unknown profile 'no-such-profile'" in capsys.readouterr().err


def test_profile_that_is_not_json_exits_2(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    assert analyze(project, FIXTURES / "export.json", profile=str(path)) == 2
    assert "invalid JSON at line 1" in capsys.readouterr().err


def test_missing_profile_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze(project, FIXTURES / "export.json") == 2
    assert "pass --profile" in capsys.readouterr().err


def test_file_that_is_not_an_export_exits_2(project: Path, profile_file: Path, tmp_path: Path) -> None:
    assert (
        analyze(
            project,
            write(tmp_path / "x.json", {"version": 3, "deployment": {"resources": 1}}),
            profile=str(profile_file),
        )
        == 2
    )


def test_output_without_format_is_a_usage_error(project: Path, profile_file: Path, tmp_path: Path) -> None:
    code = analyze(project, FIXTURES / "export.json", "--output", str(tmp_path / "a"), profile=str(profile_file))
    assert code == 2


def test_two_formats_on_stdout_is_a_usage_error(
    project: Path, profile_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = analyze(
        project, FIXTURES / "export.json", "--format", "json", "--format", "sarif", profile=str(profile_file)
    )
    assert code == 2
    assert "only one format can go to stdout" in capsys.readouterr().err


def test_missing_pack_exits_2(project: Path, profile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = project / "no-pack"
    args = ["analyze", str(FIXTURES / "export.json"), "--project-dir", str(project), "--profile", str(profile_file)]
    code = main([*args, "--pack", str(missing)])
    assert code == 2
    assert f"no policy pack at {missing.resolve()}" in capsys.readouterr().err


# --- reports -----------------------------------------------------------------------------------------------------


def test_several_formats_in_one_run_each_valid(
    project: Path, profile_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = analyze(
        project,
        FIXTURES / "export.json",
        *("--format", "sarif", "--output", str(out / "gate.sarif")),
        *("--format", "junit", "--output", str(out / "gate.xml")),
        *("--format", "json", "--output", str(out / "gate.json")),
        *("--format", "markdown"),
        profile=str(profile_file),
    )
    assert code == 1
    jsonschema.validate(json.loads((out / "gate.sarif").read_text()), json.loads(SARIF_SCHEMA.read_text()))
    findings = json.loads((out / "gate.json").read_text())
    jsonschema.validate(findings, json.loads(FINDINGS_SCHEMA.read_text()))
    assert findings["summary"]["violations"] == {"mandatory": 2, "advisory": 6}
    assert [f["urn"] for f in findings["findings"] if f["status"] == "undecided"] == [WEB]
    suite = ET.parse(out / "gate.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "5"
    # The format without --output went to stdout, and only it.
    assert capsys.readouterr().out.startswith("<!-- preflight-gate:dev -->")


def test_stack_file_supplies_profile_and_sarif_locations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    pack = project / "policies"
    shutil.copytree(PACK, pack)
    (pack / "profiles").mkdir()
    write(pack / "profiles" / "fixture.json", PROFILE)
    (project / "Pulumi.yaml").write_text("name: fixture-project\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-2\n  fixture-project:compliance:\n    profile: fixture\n"
    )
    code = main(["analyze", str(FIXTURES / "export.json"), "--project-dir", str(project), "--format", "sarif"])
    assert code == 1
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["properties"]["profile"] == "fixture"
    eu_provider = next(r for r in run["results"] if r["locations"][0]["logicalLocations"][0]["name"] == "eu")
    # A provider is shaped by aws:region: line 2 of Pulumi.dev.yaml.
    assert eu_provider["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "Pulumi.dev.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2},
    }


# --- pieces ------------------------------------------------------------------------------------------------------


def _diag(policy: str, urn: str, level: str, message: str) -> Diagnostic:
    return Diagnostic(policy, "pack", "1.0.0", "Desc.", message, level, "high", urn, "resource")


def test_undecided_finding_carries_the_configured_level_not_the_sdks_advisory() -> None:
    undecided = _diag("p", "urn:x", "advisory", "can't run policy 'p' from policy pack 'pack@v1' during preview: y")
    result = AnalysisResult(diagnostics=[undecided])
    meta = [PolicyMeta("p", "Desc.", "high", "mandatory")]
    [lenient] = gate.build_findings(result, meta, {"urn:x": "t"}, fail_on_undecided=False)
    [strict] = gate.build_findings(result, meta, {"urn:x": "t"}, fail_on_undecided=True)
    assert (lenient.status, lenient.enforcement_level, lenient.blocking) == ("undecided", "mandatory", False)
    assert strict.blocking
    assert lenient.message == "y"


def test_violation_message_drops_the_repeated_description() -> None:
    result = AnalysisResult(diagnostics=[_diag("p", "urn:x", "mandatory", "Desc.\nthe detail")])
    [finding] = gate.build_findings(
        result, [PolicyMeta("p", "Desc.", "high", "mandatory")], {}, fail_on_undecided=False
    )
    assert (finding.message, finding.blocking) == ("the detail", True)


def test_policy_controls_come_from_control_tags_and_framework() -> None:
    info = PolicyInfo(
        name="p",
        description="d",
        enforcement_level="mandatory",
        framework={"name": "NIST SP 800-53", "reference": "SC-28, SC-12"},
        tags=("area:encryption_at_rest", "hipaa:164.312(a)(2)(iv)", "nist-800-53:SC-28"),
    )
    assert gate.policy_controls(info) == ("HIPAA 164.312(a)(2)(iv)", "NIST SP 800-53 SC-28", "NIST SP 800-53 SC-12")


def test_stack_profile_name_reads_compliance_profile() -> None:
    config = {"proj:compliance": json.dumps({"profile": "hipaa", "owner": "x"})}
    assert gate.stack_profile_name(config, "proj") == "hipaa"
    assert gate.stack_profile_name({}, "proj") is None


def test_config_key_lines_finds_each_top_level_config_key(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.s.yaml"
    stack.write_text("# comment\nconfig:\n  aws:region: us-east-2\n  p:cluster:\n    kubernetesVersion: '1.33'\n")
    assert gate.config_key_lines(stack) == {"aws:region": 3, "p:cluster": 4}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("project:///components/eks_cluster.py#42,9", ("components/eks_cluster.py", 42)),
        ("file://{root}/components/net.py#7", ("components/net.py", 7)),
        ("file:///elsewhere/x.py#7", None),
        ("project:///x.py", None),
    ],
)
def test_source_positions_in_state_form_become_repo_paths(
    tmp_path: Path, value: str, expected: tuple[str, int] | None
) -> None:
    position = gate._parse_source_position(value.format(root=tmp_path), tmp_path)
    assert (None if position is None else (position.path, position.line)) == expected


def test_component_sources_find_where_a_type_token_is_written(tmp_path: Path) -> None:
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "net.py").write_text('"""Net."""\n\nTOKEN = "inference:network:Network"\n')
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "x.py").write_text('T = "inference:other:Other"\n')
    sources = gate.component_sources(tmp_path)
    assert sources["inference:network:Network"].path == "components/net.py"
    assert sources["inference:network:Network"].line == 3
    assert "inference:other:Other" not in sources


def test_resource_refs_find_the_top_level_component() -> None:
    refs = {r.urn: r for r in gate.resource_refs(analyzer.deployment_resources(EXPORT), None)}
    assert refs[WEB].component == PREFIX + "fixture:index:Group::web"
    assert refs[PREFIX + "aws:s3/bucket:Bucket::data"].component == ""


def test_sigterm_unwinds_like_ctrl_c() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), gate._terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


def test_pool_spreads_analyze_over_processes_with_the_same_result() -> None:
    recs = analyzer.deployment_resources(EXPORT)
    resources = analyzer.build_resources(recs)
    outcomes = []
    for processes in (1, 2):
        with analyzer.PolicyPackPool(PACK, processes=processes) as pool:
            pool.configure(analyzer.reconcile_config(pool.info(), PROFILE))
            result = pool.run(resources, stack_urn=analyzer.stack_urn(recs))
            outcomes.append([(d.policy_name, d.urn, d.message) for d in result.diagnostics])
    assert outcomes[0] == outcomes[1]


def test_processes_for_uses_one_process_for_small_stacks() -> None:
    assert analyzer.processes_for(100, cpus=2) == 1
    assert analyzer.processes_for(5000, cpus=2) == 2
    assert analyzer.processes_for(5000, cpus=64) == analyzer.MAX_PACK_PROCESSES


# --- check: the pack starts during the plan and is always stopped --------------------------------------------------

GROUP_PROGRAM = 'import pulumi\n\npulumi.ComponentResource("fixture:index:Group", "web")\n'
CONFIG_ERROR_PROGRAM = (
    "import pulumi\n\n\n"
    "class ConfigError(pulumi.RunError):\n"
    '    """Named like components.config.ConfigError: the engine reports it as bad config."""\n\n\n'
    'raise ConfigError("invalid stack config:\\n  - fixture-project:thing: must be set")\n'
)


def _check_project(tmp_path: Path, program: str) -> Path:
    project = tmp_path / "check-project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: fixture-project\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-2\n")
    (project / "__main__.py").write_text(program)
    return project


def _check(project: Path, profile_file: Path) -> int:
    argv = ["check", "--stack", "dev", "--project-dir", str(project), "--pack", str(PACK)]
    return main([*argv, "--profile", str(profile_file), "--format", "json", "--output", str(project / "gate.json")])


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[analyzer.PolicyPackProcess]:
    """Every pack process the gate spawns."""
    processes: list[analyzer.PolicyPackProcess] = []
    original = analyzer.PolicyPackProcess.spawn

    def recording_spawn(self: analyzer.PolicyPackProcess) -> None:
        original(self)
        if self not in processes:
            processes.append(self)

    monkeypatch.setattr(analyzer.PolicyPackProcess, "spawn", recording_spawn)
    return processes


@pytest.fixture
def running_at_plan(monkeypatch: pytest.MonkeyPatch, spawned: list[analyzer.PolicyPackProcess]) -> list[int]:
    """Pids of the pack processes alive when the plan starts."""
    pids: list[int] = []
    original = gate.plan.plan_stack

    def recording_plan(*args: Any, **kwargs: Any) -> Any:
        pids.extend(p.pid for p in spawned if p.pid is not None and alive(p.pid))
        return original(*args, **kwargs)

    monkeypatch.setattr(gate.plan, "plan_stack", recording_plan)
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_check_starts_the_pack_before_the_plan_and_stops_it(
    tmp_path: Path, profile_file: Path, running_at_plan: list[int]
) -> None:
    project = _check_project(tmp_path, GROUP_PROGRAM)
    assert _check(project, profile_file) == 0
    assert len(running_at_plan) == 1  # already starting while the program was planned
    assert not alive(running_at_plan[0])
    report = json.loads((project / "gate.json").read_text())
    assert report["timing"]["packStartSeconds"] > 0


def test_check_stops_the_pack_when_the_plan_fails_with_a_config_error(
    tmp_path: Path, profile_file: Path, running_at_plan: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    project = _check_project(tmp_path, CONFIG_ERROR_PROGRAM)
    assert _check(project, profile_file) == 2
    assert "fixture-project:thing: must be set" in capsys.readouterr().err
    assert len(running_at_plan) == 1
    assert not alive(running_at_plan[0])  # stopped and reaped
    assert not (project / "gate.json").exists()


def test_pack_that_cannot_start_fails_the_gate_with_exit_1_and_no_traceback(
    project: Path, profile_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUGE_VARIABLE", "x" * (analyzer.MAX_ENV_STRING + 1))
    assert analyze(project, FIXTURES / "export.json", profile=str(profile_file)) == 1
    err = capsys.readouterr().err
    assert "policy pack: cannot start the policy pack" in err
    assert "E2BIG" in err
    assert "Traceback" not in err


def test_check_notes_a_stack_config_too_large_for_pulumi_up(
    tmp_path: Path, profile_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _check_project(tmp_path, GROUP_PROGRAM)
    devices = [{"name": f"dev{i:04d}", "host": "ssh://deploy@device.example.internal" * 4} for i in range(1200)]
    (project / "Pulumi.dev.yaml").write_text(json.dumps({"config": {"aws:region": "us-east-2", "fleet": devices}}))
    assert _check(project, profile_file) == 0
    err = capsys.readouterr().err
    assert "over Linux's 128 KiB limit for one environment variable: `pulumi up` could not start" in err
    assert "The pack here gets only fixture-project:environment" in err
