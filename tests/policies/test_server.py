"""The pack's fast analyzer servicer answers exactly as pulumi-policy's own, and the pack falls back to the SDK's.

Both servicers get the same Configure / ConfigureStack and the same requests; their AnalyzeResponses must be equal
message for message: on every example stack's plan (the gate's records, with the stack's profile and with mixed
enforcement levels) and on hand-made resources with unknowns, secrets, assets, providers and options, run through
probe policies that report everything a policy can see, policies that mutate what they get, async validations,
remediation-only policies and not-applicable results.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import json
import runpy
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi.runtime
import pytest
from google.protobuf import json_format
from guardrails import PACK_NAME, POLICIES, SPECS, _install, _server
from guardrails._base import Spec, resource_policy, type_gate
from guardrails._server import FastAnalyzerServicer
from guardrails.profiles import load_profile, resolve
from pulumi.runtime import proto
from pulumi.runtime.config import CONFIG
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk_policy
from pulumi_policy.deserialize import SPECIAL_ARCHIVE_SIG, SPECIAL_ASSET_SIG
from pulumi_policy.proxy import UnknownValueError

from preflight import analyzer, gate, stackfile
from preflight.engine import PlanResult
from tests.policies.harness import (
    DEPLOYMENT,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    deployment,
    docker_container,
    secret,
)

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
SDK_SERVICER = sdk_policy._PolicyAnalyzerServicer
EXAMPLE_STACKS = ("dev", "edge", "hybrid", "onprem", "private", "prod")
LEVELS = ("mandatory", "advisory", "disabled", "remediate")
TAGS = {"pulumi:project": "inference-platform", "pulumi:runtime": "python", "environment": "prod"}
PlanOf = Callable[[str], PlanResult]


# --------------------------------------------------------------------------------------------------------------------
# Running both servicers


@pytest.fixture(autouse=True)
def _keep_runtime_config() -> Iterator[None]:
    """Servicers apply PULUMI_CONFIG to the runtime's default config dict: put it back after each test."""
    default = contextvars.Context().run(CONFIG.get)
    saved = dict(default)
    yield
    default.clear()
    default.update(saved)


def _level(name: str) -> Any:
    return getattr(proto, name.upper())


def make(
    cls: type,
    policies: Sequence[Policy],
    levels: Mapping[str, str] | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    tags: Mapping[str, str] = TAGS,
) -> Any:
    """A servicer as PolicyPack builds it (pack default mandatory), after Configure and ConfigureStack."""
    servicer = cls(PACK_NAME, "0.0.1", list(policies), EnforcementLevel.MANDATORY)
    request = proto.ConfigureAnalyzerRequest()
    for policy in policies:
        if levels is None or policy.name not in levels:
            continue
        item = proto.PolicyConfig(enforcementLevel=_level(levels[policy.name]))
        item.properties.update(dict((config or {}).get(policy.name, {})))
        request.policyConfig[policy.name].CopyFrom(item)
    servicer.Configure(request, None)
    servicer.ConfigureStack(proto.AnalyzerStackConfigureRequest(tags=dict(tags)), None)
    return servicer


def call(method: Callable[[Any, Any], Any], request: Any) -> dict[str, Any]:
    """One call in a fresh contextvars context, as gRPC runs it; the response as a dict (pytest shows the diff)."""
    response = contextvars.Context().run(method, request, None)
    return json_format.MessageToDict(response)


def both(
    policies: Sequence[Policy],
    levels: Mapping[str, str] | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Any, Any]:
    return make(SDK_SERVICER, policies, levels, config), make(FastAnalyzerServicer, policies, levels, config)


def assert_same_analyze(policies: Sequence[Policy], requests: Sequence[Any], **kwargs: Any) -> list[dict[str, Any]]:
    sdk, fast = both(policies, **kwargs)
    expected = [call(sdk.Analyze, request) for request in requests]
    assert [call(fast.Analyze, request) for request in requests] == expected
    return expected


def assert_same_stack(policies: Sequence[Policy], request: Any, **kwargs: Any) -> dict[str, Any]:
    sdk, fast = both(policies, **kwargs)
    expected = call(sdk.AnalyzeStack, request)
    assert call(fast.AnalyzeStack, request) == expected
    return expected


def mixed_levels(policies: Sequence[Policy], offset: int = 0) -> dict[str, str]:
    """Every enforcement level, spread over the policies (``offset`` rotates which policy gets which)."""
    return {policy.name: LEVELS[(i + offset) % len(LEVELS)] for i, policy in enumerate(policies)}


def messages(responses: Sequence[Mapping[str, Any]]) -> list[str]:
    return [d["message"] for r in responses for d in r.get("diagnostics", [])]


def count_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every resource validation run from now on (by either servicer), as the names of the policies."""
    validated: list[str] = []
    original = ResourceValidationPolicy.validate

    def counting(self: ResourceValidationPolicy, args: Any, report: Any) -> Any:
        validated.append(self.name)
        return original(self, args, report)

    monkeypatch.setattr(ResourceValidationPolicy, "validate", counting)
    return validated


# --------------------------------------------------------------------------------------------------------------------
# Every example stack


@pytest.fixture(scope="module", params=EXAMPLE_STACKS)
def stack_plan(request: pytest.FixtureRequest, plan_of: PlanOf) -> tuple[str, gate.Evaluation]:
    """What `check --stack` sends the pack: the session's plan as records, the stack context and its profile."""
    stack_file = stackfile.load_stack(ROOT, request.param)
    name = gate.stack_profile_name(stack_file.config, stack_file.project)
    assert name is not None
    profile = gate.load_profile(name, PACK_DIR)
    return request.param, gate.plan_evaluation(
        stack_file, plan_of(request.param), profile, PACK_DIR, fail_on_undecided=False
    )


def _stack_levels(ev: gate.Evaluation, variant: str) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    resolved = resolve(load_profile(ev.profile.name))
    config = {name: entry["config"] for name, entry in resolved.items()}
    if variant == "profile":
        return {name: entry["enforcementLevel"] for name, entry in resolved.items()}, config
    return mixed_levels(POLICIES, offset=1), config


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["profile", "mixed"])
def test_analyze_matches_the_sdk_on_every_example_stack(
    stack_plan: tuple[str, gate.Evaluation], variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ev = stack_plan
    for key, value in ev.stack.environment().items():
        monkeypatch.setenv(key, value)
    levels, config = _stack_levels(ev, variant)
    resources = analyzer.build_resources(ev.records)
    requests = [r.request for r in resources]
    validated = count_validations(monkeypatch)
    sdk, fast = both(POLICIES, levels, config)
    expected = [call(sdk.Analyze, request) for request in requests]
    validated.clear()
    assert [call(fast.Analyze, request) for request in requests] == expected
    assert validated, "the fast servicer found no policy for any resource of the stack"


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["profile", "mixed"])
def test_analyze_stack_matches_the_sdk_on_every_example_stack(
    stack_plan: tuple[str, gate.Evaluation], variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ev = stack_plan
    for key, value in ev.stack.environment().items():
        monkeypatch.setenv(key, value)
    levels, config = _stack_levels(ev, variant)
    resources = analyzer.build_resources(ev.records)
    request = proto.AnalyzeStackRequest(resources=[r.stack_resource for r in resources])
    assert_same_stack([*POLICIES, STACK_PROBE], request, levels=levels, config=config)


# --------------------------------------------------------------------------------------------------------------------
# Probes: everything a policy can see, as text


def _seen(value: Any, path: str = "") -> Any:
    """A value as a policy reads it through the SDK's proxy: unknowns as the error the proxy raises."""
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = _seen(value[key], f"{path}.{key}")
            except UnknownValueError as e:
                out[key] = f"<unknown: {e.message}>"
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = []
        for i in range(len(value)):
            try:
                items.append(_seen(value[i], f"{path}[{i}]"))
            except UnknownValueError as e:
                items.append(f"<unknown: {e.message}>")
        return items
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        return _asset(value)
    return value


def _asset(value: Any) -> dict[str, Any]:
    described: dict[str, Any] = {"kind": type(value).__name__}
    for name in ("path", "text", "uri"):
        if hasattr(value, name):
            described[name] = getattr(value, name)
    if hasattr(value, "assets"):
        described["assets"] = {key: _asset(item) for key, item in value.assets.items()}
    return described


def _opts(opts: Any) -> dict[str, Any]:
    return {
        "protect": opts.protect,
        "ignore_changes": list(opts.ignore_changes),
        "delete_before_replace": opts.delete_before_replace,
        "aliases": list(opts.aliases),
        "custom_timeouts": vars(opts.custom_timeouts),
        "additional_secret_outputs": list(opts.additional_secret_outputs),
        "parent": opts.parent,
    }


def _provider(provider: Any) -> Any:
    if provider is None:
        return None
    return {"type": provider.resource_type, "urn": provider.urn, "name": provider.name, "props": _seen(provider.props)}


def _probe_resource(args: Any, report: Any) -> None:
    report(
        json.dumps(
            {
                "type": args.resource_type,
                "urn": args.urn,
                "name": args.name,
                "props": _seen(args.props),
                "opts": _opts(args.opts),
                "provider": _provider(args.provider),
                "config": dict(args.get_config()),
                "stack_tags": dict(args.stack_tags),
            },
            sort_keys=True,
        )
    )


def _probe_stack(args: Any, report: Any) -> None:
    for resource in args.resources:
        report(
            json.dumps(
                {
                    "type": resource.resource_type,
                    "name": resource.name,
                    "props": _seen(resource.props),
                    "opts": _opts(resource.opts),
                    "provider": _provider(resource.provider),
                    "parent": resource.parent.urn if resource.parent is not None else None,
                    "dependencies": [d.urn for d in resource.dependencies],
                    "property_dependencies": {
                        key: [d.urn for d in deps] for key, deps in resource.property_dependencies.items()
                    },
                },
                sort_keys=True,
            ),
            resource.urn,
        )
    report(json.dumps({"config": dict(args.get_config()), "stack_tags": dict(args.stack_tags)}, sort_keys=True))


PROBE = ResourceValidationPolicy("probe-resource", "Reports what it sees.", validate=_probe_resource)
STACK_PROBE = StackValidationPolicy(
    "probe-stack", "Reports the whole stack as it sees it.", validate=_probe_stack, severity=Severity.LOW
)


def _mutate_resource(args: Any, report: Any) -> None:
    props = args.props
    props["added"] = "by the mutator"
    for key in list(props):
        with contextlib.suppress(UnknownValueError):
            value = props[key]
            if isinstance(value, Mapping):
                cast(Any, value)["nested"] = "changed"
                value["__target"]["raw"] = "changed"
            elif isinstance(value, Sequence) and not isinstance(value, str):
                value["__target"].append("appended")  # type: ignore[call-overload]
            elif isinstance(value, pulumi.AssetArchive):
                value.assets["injected"] = pulumi.StringAsset("by the mutator")
    args.opts.protect = not args.opts.protect
    if args.provider is not None:
        args.provider.props["region"] = "mutated"
    # What it wrote, read back through the same args.
    region = args.provider.props["region"] if args.provider is not None else None
    report(f"{props['added']} {args.opts.protect} {region} mutated")


def _mutate_stack(args: Any, report: Any) -> None:
    for resource in args.resources:
        resource.props["added"] = "by the mutator"
        resource.parent = None
        resource.dependencies.clear()
        resource.opts.protect = True
        if resource.provider is not None:
            resource.provider.props["region"] = "mutated"
    args.resources.reverse()
    # What it wrote, read back through the same resources.
    for resource in args.resources:
        region = resource.provider.props["region"] if resource.provider is not None else None
        report(f"{resource.props['added']} {resource.opts.protect} {resource.parent} {region}", resource.urn)


def _not_applicable(args: Any, report: Any) -> None:
    if args.resource_type == DEPLOYMENT:
        args.not_applicable("deployments are someone else's")
    report("applies")


async def _async_resource(args: Any, report: Any) -> None:
    await asyncio.sleep(0)
    if args.resource_type == "kubernetes:core/v1:Namespace":
        args.not_applicable("async not applicable")
    report(f"async saw {sorted(args.props)}")
    if "bucket" in args.props:
        report(f"async read {args.props['bucket']}")  # unknown at preview


async def _async_stack(args: Any, report: Any) -> None:
    await asyncio.sleep(0)
    report(f"async stack of {len(args.resources)}")


def _unknown_in_stack(args: Any, report: Any) -> None:
    for resource in args.resources:
        report(str(resource.props.get("bucket")), resource.urn)


async def _fix_tags(args: Any) -> Mapping[str, Any]:
    return {**args.props, "tags": {"fixed": "yes"}}


async def _validate_and_fix(args: Any, report: Any) -> Mapping[str, Any]:
    report("validate_remediate saw " + str(len(args.props)))
    return {**args.props}


CUSTOM_POLICIES: tuple[Policy, ...] = (
    PROBE,
    ResourceValidationPolicy("mutator", "Writes through everything it gets.", validate=_mutate_resource),
    ResourceValidationPolicy(
        "probe-after-mutator", "Reports what it sees after the mutator.", validate=_probe_resource
    ),
    ResourceValidationPolicy("remediation-only", "Only remediates.", remediate=_fix_tags),
    ResourceValidationPolicy("validate-remediate", "Both at once.", validate_remediate=_validate_and_fix),
    ResourceValidationPolicy("not-applicable", "Not for deployments.", validate=_not_applicable),
    ResourceValidationPolicy("async", "Async validation.", validate=_async_resource, severity=Severity.CRITICAL),
    ResourceValidationPolicy("two-validations", "A list of validations.", validate=[_probe_resource, _not_applicable]),
    STACK_PROBE,
    StackValidationPolicy("stack-mutator", "Writes through the stack.", validate=_mutate_stack),
    StackValidationPolicy("stack-probe-after-mutator", "Sees the stack after the mutator.", validate=_probe_stack),
    StackValidationPolicy("stack-async", "Async stack validation.", validate=_async_stack),
    StackValidationPolicy("stack-unknown", "Reads an unknown.", validate=_unknown_in_stack),
    StackValidationPolicy(
        "stack-not-applicable", "Never applies.", validate=lambda args, report: args.not_applicable("never")
    ),
)


# --------------------------------------------------------------------------------------------------------------------
# Hand-made resources: unknowns, secrets, assets, providers, options


def _struct(props: Mapping[str, Any]) -> Any:
    struct = proto.AnalyzeRequest().properties
    struct.update(dict(props))
    return struct


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::inference-platform::{type_}::{name}"


AWS_PROVIDER = proto.AnalyzerProviderResource(
    type="pulumi:providers:aws",
    name="default_7_51_1",
    urn=_urn("pulumi:providers:aws", "default_7_51_1"),
    properties=_struct({"region": "us-east-1", "accessKey": secret("AKIA-not-real"), "skipMetadata": UNKNOWN}),
)
OPTIONS = proto.AnalyzerResourceOptions(
    protect=True,
    ignoreChanges=["tags", "spec.replicas"],
    deleteBeforeReplace=True,
    deleteBeforeReplaceDefined=True,
    aliases=[_urn("aws:s3/bucket:Bucket", "old-name")],
    customTimeouts=proto.AnalyzerResourceOptions.CustomTimeouts(create=60, update=30, delete=90),
    additionalSecretOutputs=["password"],
    parent=_urn("inference:models:PublicCloud", "platform"),
)

# (type, name, props, provider, options)
RESOURCES: tuple[tuple[str, str, dict[str, Any], Any, Any], ...] = (
    (
        "aws:s3/bucket:Bucket",
        "artifacts",
        {"bucket": UNKNOWN, "tags": {"owner": "ml", "data-classification": secret("phi")}, "forceDestroy": False},
        AWS_PROVIDER,
        OPTIONS,
    ),
    (DEPLOYMENT, "inference", deployment(), None, proto.AnalyzerResourceOptions()),
    (
        DEPLOYMENT,
        "inference-preview",
        {**deployment(), "spec": {"template": {"spec": {"containers": [{"image": UNKNOWN, "name": "server"}]}}}},
        None,
        proto.AnalyzerResourceOptions(deleteBeforeReplaceDefined=True),
    ),
    ("docker:index/container:Container", "edge01", docker_container(), None, proto.AnalyzerResourceOptions()),
    (
        "aws:lambda/function:Function",
        "hook",
        {
            "code": {
                SIG_KEY: SPECIAL_ARCHIVE_SIG,
                "assets": {"index.py": {SIG_KEY: SPECIAL_ASSET_SIG, "text": "x"}},
            },
            "layers": [UNKNOWN, "arn:aws:lambda:layer"],
            "environment": {SIG_KEY: SECRET_SIG, "value": {"variables": {"TOKEN": "s3cr3t"}}},
        },
        AWS_PROVIDER,
        OPTIONS,
    ),
    (
        "pulumi:providers:aws",
        "default_7_51_1",
        {"region": "eu-west-1", "skipCredentialsValidation": UNKNOWN},
        None,
        None,
    ),
    ("random:index/randomId:RandomId", "suffix", {"byteLength": 8.0}, None, None),
    ("kubernetes:core/v1:Namespace", "empty", {}, None, None),
)


def analyze_requests() -> list[Any]:
    requests = []
    for type_, name, props, provider, options in RESOURCES:
        request = proto.AnalyzeRequest(type=type_, name=name, urn=_urn(type_, name), properties=_struct(props))
        if provider is not None:
            request.provider.CopyFrom(provider)
        if options is not None:
            request.options.CopyFrom(options)
        requests.append(request)
    return requests


def stack_request() -> Any:
    request = proto.AnalyzeStackRequest()
    urns = [_urn(type_, name) for type_, name, *_ in RESOURCES]
    for i, (type_, name, props, provider, options) in enumerate(RESOURCES):
        item = proto.AnalyzerResource(type=type_, name=name, urn=urns[i], properties=_struct(props))
        if provider is not None:
            item.provider.CopyFrom(provider)
        if options is not None:
            item.options.CopyFrom(options)
        if i:
            item.parent = urns[0]
            item.dependencies.extend([urns[i - 1], _urn("missing:index:Thing", "gone")])
            item.propertyDependencies["spec"].urns.extend([urns[i - 1]])
            item.propertyDependencies["metadata"].urns.extend([_urn("missing:index:Thing", "gone")])
        request.resources.append(item)
    return request


@pytest.mark.parametrize("offset", range(len(LEVELS)))
def test_analyze_matches_the_sdk_for_every_kind_of_policy_and_level(offset: int) -> None:
    levels = mixed_levels(CUSTOM_POLICIES, offset)
    responses = assert_same_analyze(
        CUSTOM_POLICIES, analyze_requests(), levels=levels, config={"probe-resource": {"answer": 42}}
    )
    assert any(r.get("diagnostics") for r in responses)


@pytest.mark.parametrize("level", LEVELS)
def test_analyze_matches_the_sdk_with_every_policy_at_one_level(level: str) -> None:
    levels = dict.fromkeys((p.name for p in (*CUSTOM_POLICIES, *POLICIES)), level)
    assert_same_analyze([*CUSTOM_POLICIES, *POLICIES], analyze_requests(), levels=levels)


@pytest.mark.parametrize("offset", range(len(LEVELS)))
def test_analyze_stack_matches_the_sdk_for_every_kind_of_policy_and_level(offset: int) -> None:
    levels = mixed_levels(CUSTOM_POLICIES, offset)
    response = assert_same_stack(CUSTOM_POLICIES, stack_request(), levels=levels, config={"probe-stack": {"n": 1}})
    assert response.get("diagnostics") or response.get("notApplicable")


def test_unconfigured_policies_run_at_their_own_or_the_pack_level() -> None:
    unconfigured = (
        ResourceValidationPolicy(
            "own-level", "d", validate=_probe_resource, enforcement_level=EnforcementLevel.ADVISORY
        ),
        PROBE,
    )
    responses = assert_same_analyze(unconfigured, analyze_requests()[:1])
    # MessageToDict leaves out enum zero values: advisory.
    levels = [d.get("enforcementLevel", "ADVISORY") for d in responses[0]["diagnostics"]]
    assert levels == ["ADVISORY", "MANDATORY"]


def test_unknown_values_give_the_advisory_cant_run_diagnostic() -> None:
    responses = assert_same_analyze([CUSTOM_POLICIES[6]], analyze_requests()[:1], levels={"async": "mandatory"})
    (diagnostic,) = responses[0]["diagnostics"][1:]
    assert diagnostic.get("enforcementLevel", "ADVISORY") == "ADVISORY"
    assert diagnostic["message"] == (
        "can't run policy 'async' from policy pack 'inference-guardrails@v0.0.1' during preview: "
        "string value at .bucket can't be known during preview"
    )


def test_a_policy_never_sees_another_policys_writes() -> None:
    policies = [p for p in CUSTOM_POLICIES if p.name in {"probe-resource", "mutator", "probe-after-mutator"}]
    responses = assert_same_analyze(policies, analyze_requests())
    for response in responses:
        before, mutated, after = (d["message"] for d in response["diagnostics"])
        assert mutated.endswith("mutated")
        assert before.split("\n", 1)[1] == after.split("\n", 1)[1]
        assert "by the mutator" not in after and "mutated" not in after.split("\n", 1)[1]


def test_a_stack_policy_never_sees_another_stack_policys_writes() -> None:
    names = {"probe-stack", "stack-mutator", "stack-probe-after-mutator"}
    response = assert_same_stack([p for p in CUSTOM_POLICIES if p.name in names], stack_request())
    by_policy: dict[str, list[str]] = {}
    for d in response["diagnostics"]:
        by_policy.setdefault(d["policyName"], []).append(d["message"].split("\n", 1)[1])
    assert by_policy["probe-stack"] == by_policy["stack-probe-after-mutator"]
    assert any('"parent": "urn:' in message for message in by_policy["probe-stack"])


def test_policy_config_is_a_private_copy_per_policy() -> None:
    def grab_config(args: Any, report: Any) -> None:
        config = args.get_config()
        report(json.dumps(dict(config)))
        config["leaked"] = True

    policies = [ResourceValidationPolicy(f"config-{i}", "d", validate=grab_config) for i in range(2)]
    config = {p.name: {"limit": 3} for p in policies}
    responses = assert_same_analyze(
        policies, analyze_requests()[:2], levels=dict.fromkeys(config, "mandatory"), config=config
    )
    found = messages(responses)
    assert len(found) == 4
    assert all('"limit": 3' in message and "leaked" not in message for message in found)


# --------------------------------------------------------------------------------------------------------------------
# Malformed input fails the call as the SDK does


BAD_SIGNATURE = {"value": {SIG_KEY: "not-a-known-signature"}}


@pytest.mark.parametrize("method", ["Analyze", "AnalyzeStack"])
def test_malformed_properties_fail_the_call_with_the_sdks_error(method: str) -> None:
    sdk, fast = both([*POLICIES, STACK_PROBE])
    if method == "Analyze":
        request: Any = proto.AnalyzeRequest(
            type="random:index/randomId:RandomId", name="r", properties=_struct(BAD_SIGNATURE)
        )
    else:
        request = proto.AnalyzeStackRequest(
            resources=[proto.AnalyzerResource(type="t", properties=_struct(BAD_SIGNATURE))]
        )
    with pytest.raises(AssertionError) as expected:
        call(getattr(sdk, method), request)
    with pytest.raises(AssertionError) as got:
        call(getattr(fast, method), request)
    assert (
        str(got.value)
        == str(expected.value)
        == "Unrecognized signature 'not-a-known-signature' when unmarshaling resource property"
    )


def test_malformed_properties_pass_when_every_policy_is_disabled_as_in_the_sdk() -> None:
    request = proto.AnalyzeRequest(type="random:index/randomId:RandomId", name="r", properties=_struct(BAD_SIGNATURE))
    responses = assert_same_analyze(POLICIES, [request], levels={p.name: "disabled" for p in POLICIES})
    assert responses == [{}]


# --------------------------------------------------------------------------------------------------------------------
# Converting once, and skipping policies by resource type


def test_properties_are_read_from_protobuf_once_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = json_format.MessageToDict

    def counting(message: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(message, *args, **kwargs)

    monkeypatch.setattr(_server.json_format, "MessageToDict", counting)
    fast = make(FastAnalyzerServicer, POLICIES)
    request = analyze_requests()[1]  # a Deployment: a dozen policies apply
    contextvars.Context().run(fast.Analyze, request, None)
    assert len(calls) == 1
    calls.clear()
    contextvars.Context().run(make(SDK_SERVICER, POLICIES).Analyze, request, None)
    assert len(calls) == len(POLICIES) - sum(isinstance(p, StackValidationPolicy) for p in POLICIES)


def test_policies_built_by_resource_policy_declare_their_resource_types() -> None:
    gated = {policy.name: type_gate(policy) for policy in POLICIES}
    specs = {spec.name: spec for spec in SPECS}
    for policy in POLICIES:
        expected = specs[policy.name] if isinstance(policy, ResourceValidationPolicy) else None
        assert gated[policy.name] is expected
    assert type_gate(PROBE) is None


def test_a_policy_is_skipped_only_for_types_its_spec_does_not_list(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = Spec(
        name="aws-s3-bucket-require-probe",
        area="governance",
        description="Only buckets.",
        severity=Severity.LOW,
        remediation="None.",
        hipaa=(),
        nist=("CM-2",),
        resource_types=("aws:s3/*",),
    )

    def check(args: Any, report: Any, config: Any) -> None:
        report(f"checked {args.resource_type}")

    gated = resource_policy(spec, check)
    validated = count_validations(monkeypatch)
    requests = analyze_requests()
    sdk, fast = both([gated])
    expected = [call(sdk.Analyze, request) for request in requests]
    assert len(validated) == len(requests)
    validated.clear()
    assert [call(fast.Analyze, request) for request in requests] == expected
    assert validated == [spec.name]
    assert messages(expected) == ["Only buckets.\nchecked aws:s3/bucket:Bucket"]


# --------------------------------------------------------------------------------------------------------------------
# Runtime settings per request


def test_runtime_settings_are_applied_per_request_as_by_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_PROJECT", "inference-platform")
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")
    monkeypatch.setenv("PULUMI_ORGANIZATION", "acme")
    monkeypatch.setenv(
        "PULUMI_CONFIG", json.dumps({"inference-platform:environment": "prod", "aws:region": "us-east-1"})
    )
    # Settings values leak into every context once set (pulumi's ContextProperty), so record the calls instead.
    recorded: list[tuple[Any, ...]] = []

    def configure(settings: Any) -> None:
        recorded.append(("configure", settings.project, settings.stack, settings.dry_run, settings.organization))

    monkeypatch.setattr(pulumi.runtime, "configure", configure)
    monkeypatch.setattr(pulumi.runtime, "set_config", lambda key, value: recorded.append(("set_config", key, value)))
    sdk, fast = both([PROBE])
    request = analyze_requests()[-1]
    call(sdk.Analyze, request)
    call(sdk.AnalyzeStack, stack_request())
    expected, recorded[:] = list(recorded), []
    assert expected.count(("configure", "inference-platform", "prod", True, "acme")) == 2
    assert ("set_config", "aws:region", "us-east-1") in expected
    call(fast.Analyze, request)
    call(fast.AnalyzeStack, stack_request())
    assert recorded == expected


def _recorded_config(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Every ``pulumi.runtime.set_config`` call from now on."""
    recorded: list[tuple[str, Any]] = []
    monkeypatch.setattr(pulumi.runtime, "set_config", lambda key, value: recorded.append((key, value)))
    return recorded


def _count_parses_of(monkeypatch: pytest.MonkeyPatch, text: str) -> list[str]:
    """Every ``json.loads`` of ``text`` from now on (the SDK's get_config_env parses PULUMI_CONFIG with it)."""
    parses: list[str] = []
    loads = json.loads

    def counting_loads(value: Any, *args: Any, **kwargs: Any) -> Any:
        if value == text:
            parses.append(value)
        return loads(value, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting_loads)
    return parses


def test_pulumi_config_is_parsed_once_for_many_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps({"inference-platform:edge": json.dumps({"devices": [{"name": f"dev{i}"} for i in range(500)]})})
    monkeypatch.setenv("PULUMI_CONFIG", text)
    recorded = _recorded_config(monkeypatch)
    parses = _count_parses_of(monkeypatch, text)
    sdk, fast = both([PROBE])
    requests = analyze_requests()
    for request in requests:
        call(sdk.Analyze, request)
    assert len(parses) == len(requests)  # the SDK parses it per request: the counter sees every parse
    expected, recorded[:], parses[:] = list(recorded), [], []
    for request in requests:
        call(fast.Analyze, request)
    assert recorded == expected
    call(fast.AnalyzeStack, stack_request())
    assert len(parses) <= 1  # the first request may parse it: other tests set other texts


def test_changed_pulumi_config_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = _recorded_config(monkeypatch)
    fast = make(FastAnalyzerServicer, [PROBE])
    request = analyze_requests()[0]
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"inference-platform:environment": "dev"}))
    call(fast.Analyze, request)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"inference-platform:environment": "prod"}))
    call(fast.Analyze, request)
    monkeypatch.delenv("PULUMI_CONFIG")
    call(fast.Analyze, request)
    assert recorded == [("inference-platform:environment", "dev"), ("inference-platform:environment", "prod")]


def test_malformed_pulumi_config_fails_every_request_as_in_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", "{not json")
    sdk, fast = both([PROBE])
    request = analyze_requests()[0]
    for servicer in (sdk, fast, fast):
        with pytest.raises(json.JSONDecodeError):
            call(servicer.Analyze, request)


def test_structured_pulumi_config_value_is_a_fresh_copy_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI passes string values; a structured one must still not be shared between requests, as in the SDK.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"inference-platform:limits": {"gpus": [1, 2]}}))
    recorded = _recorded_config(monkeypatch)
    fast = make(FastAnalyzerServicer, [PROBE])
    request = analyze_requests()[0]
    call(fast.Analyze, request)
    recorded[0][1]["gpus"].append(3)
    call(fast.Analyze, request)
    assert recorded[1] == ("inference-platform:limits", {"gpus": [1, 2]})


# --------------------------------------------------------------------------------------------------------------------
# Installing the servicer, and the fallback


@pytest.fixture
def restore_sdk_servicer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever install() does to the SDK module is undone after the test."""
    monkeypatch.setattr(sdk_policy, "_PolicyAnalyzerServicer", SDK_SERVICER)
    monkeypatch.delenv(_install.ANALYZER_ENV, raising=False)


@pytest.mark.usefixtures("restore_sdk_servicer")
def test_install_serves_with_the_fast_servicer_on_the_verified_sdk() -> None:
    stream = io.StringIO()
    assert _install.install(stream) is True
    assert sdk_policy._PolicyAnalyzerServicer is FastAnalyzerServicer
    assert stream.getvalue() == ""


@pytest.mark.usefixtures("restore_sdk_servicer")
def test_install_keeps_the_sdk_servicer_on_an_unverified_sdk() -> None:
    stream = io.StringIO()
    assert _install.install(stream, sdk_version="1.22.0") is False
    assert sdk_policy._PolicyAnalyzerServicer is SDK_SERVICER
    (line,) = stream.getvalue().splitlines()
    assert "pulumi-policy 1.22.0 is not the verified 1.21.x" in line


@pytest.mark.usefixtures("restore_sdk_servicer")
@pytest.mark.parametrize(
    ("value", "fragment"), [("sdk", "GUARDRAILS_ANALYZER=sdk"), ("turbo", "'turbo' is not one of fast, sdk")]
)
def test_install_keeps_the_sdk_servicer_when_asked_or_misconfigured(
    monkeypatch: pytest.MonkeyPatch, value: str, fragment: str
) -> None:
    monkeypatch.setenv(_install.ANALYZER_ENV, value)
    stream = io.StringIO()
    assert _install.install(stream) is False
    assert sdk_policy._PolicyAnalyzerServicer is SDK_SERVICER
    (line,) = stream.getvalue().splitlines()
    assert fragment in line


def _servicer_built_by_pack_main(monkeypatch: pytest.MonkeyPatch) -> type:
    """Run policies/__main__.py with PolicyPack stubbed: the servicer class PolicyPack would instantiate."""
    built: list[type] = []
    monkeypatch.setattr("pulumi_policy.PolicyPack", lambda **kwargs: built.append(sdk_policy._PolicyAnalyzerServicer))
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")
    (servicer,) = built
    return servicer


@pytest.mark.usefixtures("restore_sdk_servicer")
def test_pack_main_serves_with_the_fast_servicer(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _servicer_built_by_pack_main(monkeypatch) is FastAnalyzerServicer


@pytest.mark.usefixtures("restore_sdk_servicer")
def test_pack_main_falls_back_to_the_sdk_servicer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_install, "SDK_VERSION", "2.0.0")
    assert _servicer_built_by_pack_main(monkeypatch) is SDK_SERVICER
    assert "pulumi-policy 2.0.0 is not the verified" in capsys.readouterr().err


@contextlib.contextmanager
def _pack(
    ev: gate.Evaluation, mode: str | None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[analyzer.PolicyPackProcess]:
    with monkeypatch.context() as env:
        if mode is None:
            env.delenv(_install.ANALYZER_ENV, raising=False)
        else:
            env.setenv(_install.ANALYZER_ENV, mode)
        pack = analyzer.PolicyPackProcess(PACK_DIR, stack=ev.stack)
        pack.start()
    try:
        yield pack
    finally:
        pack.stop()


@pytest.mark.slow
def test_real_pack_process_answers_the_same_with_either_servicer(
    plan_of: PlanOf, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack_file = stackfile.load_stack(ROOT, "prod")
    profile = gate.load_profile("hipaa", PACK_DIR)
    ev = gate.plan_evaluation(stack_file, plan_of("prod"), profile, PACK_DIR, fail_on_undecided=False)
    # The prod plan passes hipaa: the hand-made resources add violations and unknowns.
    extra = zip(analyze_requests(), stack_request().resources, strict=True)
    resources = [
        *analyzer.build_resources(ev.records),
        *(analyzer.AnalyzerResource(request.urn, request.type, request, item) for request, item in extra),
    ]
    results = {}
    for mode in (None, "sdk"):
        with _pack(ev, mode, monkeypatch) as pack:
            pack.configure(analyzer.reconcile_config(pack.info(), profile.document))
            result = pack.run(resources)
            results[mode] = (result.diagnostics, result.not_applicable, pack._stderr_tail())
    fast, sdk = results[None], results["sdk"]
    assert fast[:2] == sdk[:2]
    assert any(d.undecided for d in fast[0]) and any(not d.undecided for d in fast[0])
    assert fast[1]
    assert fast[2] == ""
    assert "GUARDRAILS_ANALYZER=sdk: using pulumi-policy's own analyzer servicer" in sdk[2]
