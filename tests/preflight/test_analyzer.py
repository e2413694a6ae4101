"""The pack as a subprocess over real gRPC: start, info, configure, analyze, analyze-stack, always stopped."""

from __future__ import annotations

import copy
import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from preflight import analyzer
from preflight.analyzer import (
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    PolicyConfig,
    PolicyConfigError,
    PolicyPackError,
    PolicyPackProcess,
    StackContext,
)
from preflight.export import WITHHELD

FIXTURES = Path(__file__).parent / "fixtures"
PACK = FIXTURES / "pack"
EXPORT = json.loads((FIXTURES / "export.json").read_text())
PROFILE = json.loads((FIXTURES / "profile.json").read_text())
CTX = StackContext(project="fixture-project", stack="dev", dry_run=True, config={"aws:region": "us-east-2"})
PREFIX = "urn:pulumi:dev::fixture-project::"
LOGS = PREFIX + "aws:s3/bucket:Bucket::logs"
DATA = PREFIX + "aws:s3/bucket:Bucket::data"
STRAY = PREFIX + "aws:ec2/instance:Instance::stray-vm"
WEB = PREFIX + "fixture:index:Group$aws:ec2/instance:Instance::web-vm"
EU = PREFIX + "pulumi:providers:aws::eu"
DEFAULT_PROVIDER = PREFIX + "pulumi:providers:aws::default_7_51_1"


def records(export: dict[str, Any] = EXPORT) -> list[dict[str, Any]]:
    return analyzer.deployment_resources(export)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK, stack=CTX) as running:
        yield running


def run(pack: PolicyPackProcess, profile: dict[str, Any], recs: list[dict[str, Any]] | None = None) -> Any:
    recs = records() if recs is None else recs
    pack.configure(analyzer.reconcile_config(pack.info(), profile))
    return pack.run(analyzer.build_resources(recs), stack_urn=analyzer.stack_urn(recs))


def found(result: Any, policy: str) -> dict[str, Any]:
    """URN -> diagnostic for one policy."""
    return {d.urn: d for d in result.diagnostics if d.policy_name == policy}


# --- start and info ----------------------------------------------------------------------------------------------


def test_start_reads_port_and_connects(pack: PolicyPackProcess) -> None:
    assert pack.port > 0
    assert pack.pid is not None and alive(pack.pid)
    assert pack.start_seconds < 30


def test_pack_gets_stack_environment_like_the_cli(pack: PolicyPackProcess) -> None:
    environ = Path(f"/proc/{pack.pid}/environ")
    # Skip only without procfs: a pack that died must fail the read below, not skip.
    if not Path("/proc/self").exists():
        pytest.skip("no /proc on this platform")
    env = dict(item.split("=", 1) for item in environ.read_text().split("\0") if "=" in item)
    assert env["PULUMI_PROJECT"] == "fixture-project"
    assert env["PULUMI_STACK"] == "dev"
    assert env["PULUMI_DRY_RUN"] == "true"
    assert json.loads(env["PULUMI_CONFIG"]) == {"aws:region": "us-east-2"}


def test_info_lists_policies_with_levels_severity_and_type(pack: PolicyPackProcess) -> None:
    info = pack.info()
    assert info.name == "fixture-pack"
    levels = {p.name: (p.enforcement_level, p.severity, p.policy_type) for p in info.policies}
    assert levels == {
        "fixture-bucket-encrypted": ("mandatory", "high", "resource"),
        "fixture-instance-ip-private": ("mandatory", "critical", "resource"),
        "fixture-required-tags": ("advisory", "low", "resource"),
        "fixture-provider-region": ("advisory", "medium", "resource"),
        "fixture-stack-graph": ("advisory", "medium", "stack"),
    }


def test_info_version_comes_from_pulumipolicy_yaml_as_in_the_cli(pack: PolicyPackProcess) -> None:
    # The SDK always answers 0.0.1; the CLI reports the version in PulumiPolicy.yaml.
    assert pack.info().version == "1.2.3"


def test_info_carries_config_schema_framework_tags_and_remediation(pack: PolicyPackProcess) -> None:
    policy = pack.info().policy("fixture-bucket-encrypted")
    assert policy is not None
    assert policy.config_properties == {"requireEncryption": {"type": "boolean", "default": True}}
    assert policy.framework == {"name": "HIPAA", "reference": "164.312(a)(2)(iv)"}
    assert policy.tags == ("nist:SC-28", "area:encryption-at-rest")
    assert policy.remediation_steps == "Set encrypted: true on the bucket."


# --- config ------------------------------------------------------------------------------------------------------


def test_reconcile_fills_schema_defaults_and_keeps_declared_levels(pack: PolicyPackProcess) -> None:
    config = analyzer.reconcile_config(pack.info(), {"fixture-provider-region": {"allowedRegions": ["us-east-2"]}})
    assert config["fixture-bucket-encrypted"] == PolicyConfig("mandatory", {"requireEncryption": True})
    assert config["fixture-required-tags"] == PolicyConfig("advisory", {"requiredTags": ["owner"]})
    assert config["fixture-provider-region"] == PolicyConfig("advisory", {"allowedRegions": ["us-east-2"]})
    assert set(config) == {p.name for p in pack.info().policies}


def test_reconcile_profile_overrides_level_and_values(pack: PolicyPackProcess) -> None:
    config = analyzer.reconcile_config(
        pack.info(),
        {
            "fixture-required-tags": {"enforcementLevel": "mandatory", "requiredTags": ["owner", "team"]},
            "fixture-instance-ip-private": "disabled",
            "fixture-provider-region": {"allowedRegions": []},
        },
    )
    assert config["fixture-required-tags"] == PolicyConfig("mandatory", {"requiredTags": ["owner", "team"]})
    assert config["fixture-instance-ip-private"].enforcement_level == "disabled"


def test_reconcile_all_sets_every_level_before_per_policy_entries(pack: PolicyPackProcess) -> None:
    config = analyzer.reconcile_config(
        pack.info(),
        {"all": "mandatory", "fixture-stack-graph": "advisory", "fixture-provider-region": {"allowedRegions": []}},
    )
    levels = {name: cfg.enforcement_level for name, cfg in config.items() if name != "all"}
    assert levels == {
        "fixture-bucket-encrypted": "mandatory",
        "fixture-instance-ip-private": "mandatory",
        "fixture-required-tags": "mandatory",
        "fixture-provider-region": "mandatory",
        "fixture-stack-graph": "advisory",
    }


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            {"fixture-bucket-encrypted": "block", "fixture-provider-region": {"allowedRegions": []}},
            "fixture-bucket-encrypted: 'block'",
        ),
        ({}, "fixture-provider-region: 'allowedRegions' is a required property"),
        (
            {"fixture-provider-region": {"allowedRegions": "us-east-2"}},
            "fixture-provider-region.allowedRegions: 'us-east-2' is not of type 'array'",
        ),
        (
            {"fixture-provider-region": {"allowedRegions": []}, "fixture-typo": {"x": 1}},
            "fixture-typo: no enforcement level",
        ),
    ],
)
def test_reconcile_rejects_config_the_cli_would_reject(
    pack: PolicyPackProcess, profile: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PolicyConfigError) as err:
        analyzer.reconcile_config(pack.info(), profile)
    assert any(e.startswith(expected) for e in err.value.errors), err.value.errors


def test_configure_refuses_to_leave_a_policy_out(pack: PolicyPackProcess) -> None:
    config = analyzer.reconcile_config(pack.info(), PROFILE)
    del config["fixture-bucket-encrypted"]
    with pytest.raises(PolicyConfigError, match="fixture-bucket-encrypted: missing from Configure"):
        pack.configure(config)


# --- analyze -----------------------------------------------------------------------------------------------------


def test_analyze_attributes_diagnostics_to_the_resource_sent(pack: PolicyPackProcess) -> None:
    result = run(pack, PROFILE)
    encrypted = found(result, "fixture-bucket-encrypted")
    assert set(encrypted) == {LOGS}
    assert encrypted[LOGS].stage == "resource"
    assert encrypted[LOGS].enforcement_level == "mandatory"
    assert encrypted[LOGS].detail == "Bucket 'encrypted' is not true."


def test_configured_level_is_what_the_pack_reports(pack: PolicyPackProcess) -> None:
    result = run(pack, {**PROFILE, "fixture-bucket-encrypted": "advisory"})
    assert found(result, "fixture-bucket-encrypted")[LOGS].enforcement_level == "advisory"


def test_disabled_policy_does_not_run(pack: PolicyPackProcess) -> None:
    result = run(pack, {**PROFILE, "fixture-bucket-encrypted": "disabled"})
    assert found(result, "fixture-bucket-encrypted") == {}


def test_policy_config_reaches_the_policy(pack: PolicyPackProcess) -> None:
    result = run(pack, {**PROFILE, "fixture-required-tags": {"requiredTags": ["env"]}})
    # data and web-vm have no env tag; logs and stray-vm do.
    assert set(found(result, "fixture-required-tags")) == {DATA, WEB}


def test_analyze_includes_providers_explicit_and_default(pack: PolicyPackProcess) -> None:
    result = run(pack, {**PROFILE, "fixture-provider-region": {"allowedRegions": ["eu-west-1"]}})
    flagged = set(found(result, "fixture-provider-region"))
    assert DEFAULT_PROVIDER in flagged
    assert EU not in flagged


def test_resource_provider_properties_reach_the_policy(pack: PolicyPackProcess) -> None:
    result = run(pack, PROFILE)
    # Only the eu provider and what it creates are outside us-east-2.
    assert set(found(result, "fixture-provider-region")) == {EU, STRAY}


def test_unknown_value_at_preview_is_undecided_not_a_pass(pack: PolicyPackProcess) -> None:
    result = run(pack, PROFILE)
    ip = found(result, "fixture-instance-ip-private")
    assert ip[WEB].undecided
    assert ip[WEB].enforcement_level == "advisory"  # what the SDK says, whatever the configured level
    assert "publicIp" in ip[WEB].detail
    assert not ip[STRAY].undecided


def test_policy_blocks_when_the_value_is_known(pack: PolicyPackProcess) -> None:
    # As during `pulumi up`: the same resource with its computed value known.
    export = copy.deepcopy(EXPORT)
    web = next(r for r in export["deployment"]["resources"] if r["urn"] == WEB)
    web["inputs"]["publicIp"] = "198.51.100.7"
    result = run(pack, PROFILE, records(export))
    ip = found(result, "fixture-instance-ip-private")[WEB]
    assert not ip.undecided
    assert ip.enforcement_level == "mandatory"


def test_analyze_keeps_many_calls_in_flight_and_reports_every_resource(pack: PolicyPackProcess) -> None:
    export = copy.deepcopy(EXPORT)
    logs = next(r for r in export["deployment"]["resources"] if r["urn"] == LOGS)
    for i in range(200):
        export["deployment"]["resources"].append({**logs, "urn": f"{LOGS}-{i}"})
    recs = records(export)
    pack.configure(analyzer.reconcile_config(pack.info(), PROFILE))
    result = pack.analyze(analyzer.build_resources(recs), in_flight=8)
    assert result.resources == len(recs)
    assert set(found(result, "fixture-bucket-encrypted")) == {LOGS, *(f"{LOGS}-{i}" for i in range(200))}


# --- analyze stack -----------------------------------------------------------------------------------------------


def test_analyze_stack_sees_parents_and_dependencies(pack: PolicyPackProcess) -> None:
    graph = found(run(pack, PROFILE), "fixture-stack-graph")
    # data has a policy through dependencies and property dependencies; web-vm's parent is its group.
    assert set(graph) == {LOGS, STRAY}
    assert graph[STRAY].stage == "stack"
    assert graph[STRAY].detail == "Instance is not inside a group."


def test_analyze_stack_sees_protect(pack: PolicyPackProcess) -> None:
    graph = run(pack, {**PROFILE, "fixture-stack-graph": {"requireProtect": True}})
    protect = [d.urn for d in graph.diagnostics if d.detail == "Bucket is not protected."]
    assert protect == [LOGS]


# --- wire form ---------------------------------------------------------------------------------------------------


def test_to_wire_keeps_unknowns_and_secrets() -> None:
    secret = {SIG_KEY: SECRET_SIG, "value": "private"}
    assert analyzer.to_wire({"a": UNKNOWN, "s": secret}) == {"a": UNKNOWN, "s": secret}


def test_to_wire_decodes_plaintext_secret_and_hides_ciphertext() -> None:
    plaintext = {SIG_KEY: SECRET_SIG, "plaintext": json.dumps({"k": 1})}
    ciphertext = {SIG_KEY: SECRET_SIG, "ciphertext": "AAAB"}
    assert analyzer.to_wire(plaintext) == {SIG_KEY: SECRET_SIG, "value": {"k": 1}}
    assert analyzer.to_wire(ciphertext) == {SIG_KEY: SECRET_SIG, "value": UNKNOWN}


def test_to_wire_sends_a_withheld_secret_as_unknown() -> None:
    # preflight.export.load_deployment turns ciphertext into a placeholder; a policy must not judge the placeholder.
    withheld = {SIG_KEY: SECRET_SIG, "value": WITHHELD}
    assert analyzer.to_wire(withheld) == {SIG_KEY: SECRET_SIG, "value": UNKNOWN}


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ({"urn": DATA, "id": "data-1234"}, "data-1234"),
        ({"urn": DATA, "id": ""}, UNKNOWN),
        ({"urn": PREFIX + "fixture:index:Group::web"}, PREFIX + "fixture:index:Group::web"),
    ],
)
def test_to_wire_turns_resource_references_into_id_or_urn(ref: dict[str, str], expected: str) -> None:
    assert analyzer.to_wire({SIG_KEY: analyzer.RESOURCE_SIG, **ref}) == expected


def test_to_wire_drops_internal_keys_and_unwraps_output_values() -> None:
    output = {SIG_KEY: analyzer.OUTPUT_VALUE_SIG, "value": "x", "secret": True}
    assert analyzer.to_wire({"__defaults": [], "o": output, "n": {"__meta": 1, "k": [1]}}) == {
        "o": {SIG_KEY: SECRET_SIG, "value": "x"},
        "n": {"k": [1]},
    }


def test_build_resources_sends_inputs_to_analyze_and_outputs_to_analyze_stack() -> None:
    recs = records()
    built = {r.urn: r for r in analyzer.build_resources(recs)}
    policy = built[PREFIX + "aws:s3/bucketPolicy:BucketPolicy::data-policy"]
    assert policy.request.properties["bucket"] == "data-1234"
    assert list(policy.stack_resource.propertyDependencies["bucket"].urns) == [DATA]
    assert list(policy.stack_resource.dependencies) == [DATA]
    data = built[DATA]
    assert "bucket" not in data.request.properties  # an output only
    assert data.stack_resource.properties["bucket"] == "data-1234"
    assert data.request.options.protect
    assert data.request.provider.urn == DEFAULT_PROVIDER
    assert data.request.provider.properties["region"] == "us-east-2"
    assert "__defaults" not in built[WEB].request.properties
    assert built[WEB].stack_resource.parent == PREFIX + "fixture:index:Group::web"


def test_deployment_resources_skips_pending_deletes_and_rejects_non_exports() -> None:
    export = copy.deepcopy(EXPORT)
    export["deployment"]["resources"][-1]["delete"] = True
    assert LOGS not in {r["urn"] for r in records(export)}
    with pytest.raises(ValueError, match=r"deployment\.resources"):
        analyzer.deployment_resources({"version": 3})


# --- lifecycle ---------------------------------------------------------------------------------------------------


def test_process_is_stopped_when_an_exception_escapes() -> None:
    pids: list[int] = []
    with pytest.raises(RuntimeError, match="boom"), PolicyPackProcess(PACK) as running:
        assert running.pid is not None
        pids.append(running.pid)
        running.info()
        raise RuntimeError("boom")
    assert pids and not alive(pids[0])  # stopped and reaped: no zombie left behind


def test_process_is_stopped_on_ctrl_c() -> None:
    pids: list[int] = []
    with pytest.raises(KeyboardInterrupt), PolicyPackProcess(PACK) as running:
        assert running.pid is not None
        pids.append(running.pid)
        raise KeyboardInterrupt
    assert pids and not alive(pids[0])


def _write_pack(path: Path, body: str) -> Path:
    path.mkdir()
    (path / "__main__.py").write_text(textwrap.dedent(body))
    return path


def test_pack_that_fails_to_start_reports_its_stderr(tmp_path: Path) -> None:
    broken = _write_pack(tmp_path / "broken", "raise SystemExit('policy pack cannot load: missing module')\n")
    with (
        pytest.raises(PolicyPackError, match=r"(?s)exited with code 1 instead of its port.*missing module"),
        PolicyPackProcess(broken),
    ):
        pass


def test_pack_that_never_prints_a_port_times_out_and_is_killed(tmp_path: Path) -> None:
    silent = _write_pack(tmp_path / "silent", "import time\ntime.sleep(60)\n")
    process = PolicyPackProcess(silent, start_timeout=1.0)
    with pytest.raises(PolicyPackError, match="printed no port"):
        process.start()
    pid = process.pid
    assert pid is not None
    process.stop()
    assert not alive(pid)


def test_failed_start_inside_with_still_stops_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    silent = _write_pack(tmp_path / "silent", "import time\ntime.sleep(60)\n")
    stopped: list[int | None] = []
    original = PolicyPackProcess.stop

    def recording_stop(self: PolicyPackProcess) -> None:
        stopped.append(self.pid)
        original(self)

    monkeypatch.setattr(PolicyPackProcess, "stop", recording_stop)
    with pytest.raises(PolicyPackError), PolicyPackProcess(silent, start_timeout=0.5):
        pass
    assert stopped and stopped[0] is not None
    assert not alive(stopped[0])


def test_policy_that_crashes_fails_the_run_naming_the_resource(tmp_path: Path) -> None:
    crashing = _write_pack(
        tmp_path / "crashing",
        """
        from pulumi_policy import PolicyPack, ResourceValidationPolicy

        def validate(args, report):
            raise RuntimeError("policy bug")

        PolicyPack(name="crashing", policies=[ResourceValidationPolicy(name="p", description="d", validate=validate)])
        """,
    )
    recs = records()
    with PolicyPackProcess(crashing) as running:
        running.configure(analyzer.reconcile_config(running.info(), {}))
        with pytest.raises(PolicyPackError, match=r"Analyze failed for urn:pulumi:dev::fixture-project::.*policy bug"):
            running.analyze(analyzer.build_resources(recs))


def test_missing_pack_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match=r"__main__\.py not found"), PolicyPackProcess(tmp_path):
        pass


def _pack_environ(pid: int | None) -> dict[str, str]:
    environ = Path(f"/proc/{pid}/environ")
    # Skip only without procfs: a pack that died must fail the read below, not skip.
    if not Path("/proc/self").exists():
        pytest.skip("no /proc on this platform")
    return dict(item.split("=", 1) for item in environ.read_text().split("\0") if "=" in item)


# A stack config over the 128 KiB one environment string may hold (an inline fleet of ~1,000 edge devices).
HUGE_CONFIG = {
    "p:environment": "prod",
    "p:edge": json.dumps({"devices": [{"name": f"dev{i:04d}", "host": "ssh://deploy@x" * 10} for i in range(1500)]}),
    "p:registryAuth": "[secret]",
}


def test_huge_stack_config_no_longer_stops_the_pack_from_starting() -> None:
    ctx = StackContext("p", "s", dry_run=True, config=HUGE_CONFIG, secret_keys=["p:registryAuth"])
    assert ctx.config_env_size > analyzer.MAX_ENV_STRING
    with PolicyPackProcess(PACK, stack=ctx) as running:
        assert running.port > 0
        env = _pack_environ(running.pid)
    # Only the key the project's pack reads (policies/guardrails/_env.py); no secret key left to list.
    assert json.loads(env["PULUMI_CONFIG"]) == {"p:environment": "prod"}
    assert "PULUMI_CONFIG_SECRET_KEYS" not in env


def test_stack_config_that_fits_is_passed_whole_as_the_cli_does() -> None:
    config = {"p:environment": "prod", "p:edge": json.dumps({"devices": ["x" * 1000] * 100})}
    ctx = StackContext("p", "s", dry_run=True, config=config)
    assert not ctx.config_trimmed
    assert json.loads(ctx.environment()["PULUMI_CONFIG"]) == config


def test_pack_that_cannot_be_executed_is_a_policy_pack_error() -> None:
    missing = "/nonexistent/bin/python3"
    with (
        pytest.raises(PolicyPackError, match=rf"cannot start the policy pack .* with {missing}: No such file"),
        PolicyPackProcess(PACK, python=missing),
    ):
        pass


def test_environment_too_large_to_exec_is_a_policy_pack_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # exec fails with E2BIG (an OSError) when one variable is over 128 KiB; name the culprit, not a traceback.
    monkeypatch.setenv("HUGE_VARIABLE", "x" * (analyzer.MAX_ENV_STRING + 1))
    process = PolicyPackProcess(PACK, stack=CTX)
    with pytest.raises(PolicyPackError, match=r"environment is too large .*E2BIG.*largest: HUGE_VARIABLE 128 KiB"):
        process.start()
    assert process.pid is None
    process.stop()


def test_stack_context_environment_matches_the_cli_variables() -> None:
    env = StackContext("p", "s", dry_run=False, config={"p:k": "v"}, secret_keys=["p:k"]).environment()
    assert env == {
        "PULUMI_PROJECT": "p",
        "PULUMI_STACK": "s",
        "PULUMI_DRY_RUN": "false",
        "PULUMI_ORGANIZATION": "organization",
        "PULUMI_CONFIG": '{"p:k": "v"}',
        "PULUMI_CONFIG_SECRET_KEYS": '["p:k"]',
    }


def test_pool_spawned_early_grows_to_the_processes_a_large_stack_needs() -> None:
    pool = analyzer.PolicyPackPool(PACK, processes=1, stack=CTX)
    try:
        pool.spawn()
        pool.grow(2)
        pids = [p.pid for p in pool.packs]
        assert len(pids) == 2 and all(pid is not None and alive(pid) for pid in pids)
        assert all(p.port > 0 for p in pool.packs)
    finally:
        pool.stop()
    assert not any(pid is not None and alive(pid) for pid in pids)
