"""The pack as a whole: registry, metadata every policy must carry, and the real pack process over gRPC."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from guardrails import AREAS, PACK_DIR, PACK_NAME, POLICIES, POLICY_MODULES, SPECS, catalog, pack_version
from guardrails.profiles import load_profile, resolve
from jsonschema import Draft7Validator
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import StackValidationPolicy

TESTS_DIR = Path(__file__).resolve().parent
NAME_RE = re.compile(r"^(aws|kubernetes|docker|pulumi)-[a-z0-9]+(-[a-z0-9]+)*-(require|disallow|restrict)-[a-z0-9-]+$")
NIST_RE = re.compile(r"^[A-Z]{2}-[0-9]+(\([0-9]+\))?$")
HIPAA_RE = re.compile(r"^164\.3[0-9]{2}(\([a-zA-Z0-9]+\))+$")


def test_every_policy_module_on_disk_is_registered() -> None:
    on_disk = sorted(
        f"{path.parent.name}.{path.stem}"
        for area in AREAS
        for path in (PACK_DIR / "guardrails" / area).glob("*.py")
        if path.stem != "__init__"
    )
    assert sorted(POLICY_MODULES) == on_disk


@pytest.mark.parametrize("module", POLICY_MODULES)
def test_every_policy_has_its_own_test_module(module: str) -> None:
    area, name = module.split(".")
    assert (TESTS_DIR / area / f"test_{name}.py").is_file()


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_policy_metadata_is_complete(spec) -> None:
    module = POLICY_MODULES[[s.name for s in SPECS].index(spec.name)]
    assert NAME_RE.match(spec.name), spec.name
    assert module.split(".")[1] == spec.name.replace("-", "_")
    assert spec.description and spec.remediation and spec.severity
    assert spec.nist and all(NIST_RE.match(control) for control in spec.nist), spec.nist
    assert all(HIPAA_RE.match(section) for section in spec.hipaa), spec.hipaa
    assert spec.resource_types


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_config_schemas_are_valid_and_defaults_satisfy_them(spec) -> None:
    for name, schema in spec.config.items():
        Draft7Validator.check_schema(dict(schema))
        assert not list(Draft7Validator(dict(schema)).iter_errors(schema["default"])), name
        assert schema["description"]


def test_policy_objects_carry_the_metadata_to_the_engine() -> None:
    for policy, spec in zip(POLICIES, SPECS, strict=True):
        assert policy.framework is not None and policy.framework.reference == ", ".join(spec.nist)
        assert f"area:{spec.area}" in (policy.tags or [])
        assert policy.remediation_steps == spec.remediation
        assert policy.severity == spec.severity


def test_catalog_lists_controls_and_computed_value_needs() -> None:
    entries = {entry["name"]: entry for entry in catalog()}
    assert len(entries) == len(POLICIES)
    tls = entries["aws-s3-bucket-require-tls-policy"]
    assert tls["controls"] == {"hipaa": ["164.312(e)(1)"], "nist": ["SC-8", "SC-8(1)"]}
    assert tls["kind"] == "stack" and tls["needs_computed_values"] and tls["computed_values_note"]
    assert entries["aws-provider-restrict-region"]["config_schema"]["properties"]["allowedRegions"]["type"] == "array"
    computed = sorted(name for name, entry in entries.items() if entry["needs_computed_values"])
    assert computed == [
        "aws-s3-bucket-require-tls-policy",
        "kubernetes-pod-require-pinned-image",
        "kubernetes-pod-restrict-image-registry",
    ]
    stack_policies = {p.name for p in POLICIES if isinstance(p, StackValidationPolicy)}
    assert {name for name, entry in entries.items() if entry["kind"] == "stack"} == stack_policies


def test_pack_version_comes_from_pulumi_policy_yaml() -> None:
    data = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert pack_version() == data["version"]
    assert data["runtime"]["name"] == "python"


def test_pack_requirements_are_pinned_and_standalone() -> None:
    lines = [
        line for line in (PACK_DIR / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert lines and all(re.match(r"^[a-z0-9-]+==[0-9][0-9a-z.]*$", line) for line in lines), lines
    sources = "\n".join(path.read_text() for path in PACK_DIR.rglob("*.py"))
    assert not re.search(r"^\s*(from|import) (components|preflight)\b", sources, re.MULTILINE)


def test_pack_pins_match_the_project_pins() -> None:
    """The pack runs in its own virtualenv; tests run it with the project's, so the pins must agree."""

    def pins(path: Path) -> dict[str, str]:
        entries = (line.split("==") for line in path.read_text().splitlines() if "==" in line)
        return {name.strip().lower(): version.strip() for name, version in entries}

    project = pins(PACK_DIR.parent / "requirements.txt")
    pack = pins(PACK_DIR / "requirements.txt")
    assert {name: project.get(name) for name in pack} == pack


@pytest.fixture(scope="module")
def pack_process():
    """The pack started the way the engine starts it; yields the analyzer stub."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(PACK_DIR)],
        cwd=PACK_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)


def test_real_pack_process_serves_every_policy(pack_process) -> None:
    info = pack_process.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    assert sorted(p.name for p in info.policies) == sorted(p.name for p in POLICIES)
    region = next(p for p in info.policies if p.name == "aws-provider-restrict-region")
    assert region.enforcementLevel == proto.MANDATORY
    assert region.severity == proto.POLICY_SEVERITY_HIGH
    assert region.framework.name == "NIST SP 800-53" and "SA-9(5)" in region.framework.reference
    assert "allowedRegions" in region.configSchema.properties


def test_real_pack_process_enforces_a_resolved_profile(pack_process) -> None:
    resolved = resolve(load_profile("hipaa"))
    config = {}
    for name, entry in resolved.items():
        item = proto.PolicyConfig(enforcementLevel=getattr(proto, entry["enforcementLevel"].upper()))
        item.properties.update(entry["config"])
        config[name] = item
    pack_process.Configure(proto.ConfigureAnalyzerRequest(policyConfig=config))
    props = struct_pb2.Struct()
    props.update({"region": "eu-west-1"})
    response = pack_process.Analyze(
        proto.AnalyzeRequest(
            type="pulumi:providers:aws",
            name="default_7_51_1",
            urn="urn:pulumi:prod::inference-platform::pulumi:providers:aws::default_7_51_1",
            properties=props,
        )
    )
    by_policy = {d.policyName: d for d in response.diagnostics}
    assert by_policy["aws-provider-restrict-region"].enforcementLevel == proto.MANDATORY
    assert (
        "not in allowedRegions ['us-east-1', 'us-east-2', 'us-west-2']"
        in by_policy["aws-provider-restrict-region"].message
    )
    assert "aws-provider-require-fips-endpoint" not in by_policy  # disabled under hipaa


def test_readme_lists_every_policy_and_the_conventions() -> None:
    readme = (PACK_DIR / "README.md").read_text()
    missing = [policy.name for policy in POLICIES if f"`{policy.name}`" not in readme]
    assert missing == []
    for convention in ("inference.auth/mode", "inference.placement/side", "inference.exposure/public-lb"):
        assert convention in readme
