"""Test harness: run policies the way the engine does, through the SDK's own analyzer servicer, in process.

The engine sends each resource as an ``AnalyzeRequest`` (wire-form properties in a protobuf Struct, so
numbers become floats; unknown values as the engine's unknown sentinel; secrets wrapped in the secret
signature) after ``Configure``; the SDK deserializes the properties, wraps them in its unknown-checking
proxy and builds ``ResourceValidationArgs`` / ``StackValidationArgs``. Calling the servicer keeps every
one of those steps, including the "can't run during preview" path for unknown values.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
if str(POLICIES_DIR) not in sys.path:
    sys.path.insert(0, str(POLICIES_DIR))

from pulumi.runtime import proto  # noqa: E402
from pulumi_policy import EnforcementLevel, Policy  # noqa: E402
from pulumi_policy.policy import _PolicyAnalyzerServicer  # noqa: E402

# What the engine sends for any value unknown at preview (plugin.UnknownStringValue).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
PACK = "inference-guardrails"
PROJECT, STACK = "inference-platform", "test"

_LEVELS = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
_LEVEL_NAMES = {value: key for key, value in _LEVELS.items()}


def secret(value: Any) -> dict[str, Any]:
    """A value wrapped the way the engine marks secrets."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def urn_of(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return struct


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    message: str
    level: str
    urn: str

    @property
    def undecided(self) -> bool:
        """The SDK's advisory "can't run policy ... during preview" diagnostic for an unknown value."""
        return "during preview" in self.message and self.message.startswith("can't run policy")


@dataclass(frozen=True)
class Result:
    diagnostics: list[Diagnostic]
    not_applicable: list[tuple[str, str]]

    @property
    def violations(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.undecided]

    @property
    def messages(self) -> list[str]:
        return [d.message for d in self.violations]

    @property
    def undecided(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.undecided]

    @property
    def passed(self) -> bool:
        return not self.diagnostics and not self.not_applicable

    def has(self, fragment: str) -> bool:
        return any(fragment in message for message in self.messages)


@dataclass
class Provider:
    type: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)

    def to_proto(self) -> proto.AnalyzerProviderResource:
        return proto.AnalyzerProviderResource(
            type=self.type, name=self.name, urn=urn_of(self.type, self.name), properties=_struct(self.props)
        )


@dataclass
class Res:
    """A resource of a stack sent to AnalyzeStack; ``property_deps`` maps a property to other resources' names."""

    type: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)
    property_deps: Mapping[str, Sequence[str]] = field(default_factory=dict)
    provider: Provider | None = None
    protect: bool = False

    @property
    def urn(self) -> str:
        return urn_of(self.type, self.name)


def _servicer(policy: Policy, level: str, config: Mapping[str, Any] | None, stack_tags: Mapping[str, str] | None):
    servicer = _PolicyAnalyzerServicer(PACK, "1.0.0", [policy], EnforcementLevel.MANDATORY)
    policy_config = proto.PolicyConfig(enforcementLevel=_LEVELS[level])
    if config:
        policy_config.properties.update(dict(config))
    servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig={policy.name: policy_config}), None)
    servicer.ConfigureStack(
        proto.AnalyzerStackConfigureRequest(stack=STACK, project=PROJECT, tags=dict(stack_tags or {})), None
    )
    return servicer


def _result(response: proto.AnalyzeResponse) -> Result:
    return Result(
        diagnostics=[
            Diagnostic(d.policyName, d.message, _LEVEL_NAMES[d.enforcementLevel], d.urn) for d in response.diagnostics
        ],
        not_applicable=[(n.policy_name, n.reason) for n in response.not_applicable],
    )


def analyze(
    policy: Policy,
    type_: str,
    props: Mapping[str, Any],
    *,
    config: Mapping[str, Any] | None = None,
    level: str = "mandatory",
    name: str = "res",
    protect: bool = False,
    provider: Provider | None = None,
    stack_tags: Mapping[str, str] | None = None,
) -> Result:
    """One ``Analyze`` call (a resource's inputs), after ``Configure`` with ``level`` and ``config``."""
    servicer = _servicer(policy, level, config, stack_tags)
    request = proto.AnalyzeRequest(
        type=type_,
        name=name,
        urn=urn_of(type_, name),
        properties=_struct(props),
        options=proto.AnalyzerResourceOptions(protect=protect),
    )
    if provider is not None:
        request.provider.CopyFrom(provider.to_proto())
    return _result(servicer.Analyze(request, None))


def analyze_stack(
    policy: Policy,
    resources: Sequence[Res],
    *,
    config: Mapping[str, Any] | None = None,
    level: str = "mandatory",
    stack_tags: Mapping[str, str] | None = None,
) -> Result:
    """One ``AnalyzeStack`` call over ``resources``, with property dependencies resolved to URNs."""
    servicer = _servicer(policy, level, config, stack_tags)
    by_name = {resource.name: resource for resource in resources}
    request = proto.AnalyzeStackRequest()
    for resource in resources:
        item = proto.AnalyzerResource(
            type=resource.type,
            name=resource.name,
            urn=resource.urn,
            properties=_struct(resource.props),
            options=proto.AnalyzerResourceOptions(protect=resource.protect),
        )
        for prop, names in resource.property_deps.items():
            urns = [by_name[dep].urn for dep in names]
            item.propertyDependencies[prop].urns.extend(urns)
            item.dependencies.extend(urns)
        if resource.provider is not None:
            item.provider.CopyFrom(resource.provider.to_proto())
        request.resources.append(item)
    return _result(servicer.AnalyzeStack(request, None))


DELETE = object()


def patched(props: Mapping[str, Any], path: str | Sequence[str | int], value: Any) -> dict[str, Any]:
    """A deep copy of ``props`` with ``path`` set (or removed with DELETE).

    ``path`` is dotted (``"spec.tls.0.secretName"``, digits index lists) or a sequence of keys for keys
    that contain dots (annotations).
    """
    result = copy.deepcopy(dict(props))
    if isinstance(path, str):
        steps: list[str | int] = [int(step) if step.isdigit() else step for step in path.split(".")]
    else:
        steps = [int(step) if isinstance(step, str) and step.isdigit() else step for step in path]
    target: Any = result
    for step in steps[:-1]:
        if isinstance(step, str) and step not in target:
            target[step] = {}
        target = target[step]
    last = steps[-1]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list) and last == len(target):
        target.append(value)  # one past the end appends
    else:
        target[last] = value
    return result


DIGEST = "sha256:" + "3c5a1c2f5b0e4f7d9a8b6c4e2f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a"
PINNED_IMAGE = f"nvcr.io/nvidia/tritonserver:24.08-py3@{DIGEST}"
STACK_LABELS = {
    "data-classification": "phi",
    "residency-zone": "us",
    "compliance-profile": "hipaa",
    "owner": "clinical-ml",
    "app.kubernetes.io/name": "inference",
    "app.kubernetes.io/version": "3.2.0",
    "app.kubernetes.io/managed-by": "pulumi",
}
AWS_TAGS = {
    "data-classification": "phi",
    "owner": "clinical-ml",
    "compliance-profile": "hipaa",
    "environment": "prod",
    "deployment-model": "public-cloud",
    "residency-zone": "us",
    "managed-by": "pulumi",
}
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def container(name: str = "server", *, gpus: int = 1) -> dict[str, Any]:
    """A hardened serving container in wire form (as components/inference_service.py builds it)."""
    requests: dict[str, Any] = {"cpu": "2", "memory": "16Gi"}
    limits: dict[str, Any] = {"cpu": "4", "memory": "16Gi"}
    if gpus:
        requests["nvidia.com/gpu"] = limits["nvidia.com/gpu"] = str(gpus)
    return {
        "name": name,
        "image": PINNED_IMAGE,
        "ports": [{"name": "http", "containerPort": 8000, "protocol": "TCP"}],
        "resources": {"requests": requests, "limits": limits},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def deployment(*, gpus: int = 1, namespace: str = "inference") -> dict[str, Any]:
    """A compliant GPU Deployment in wire form."""
    spec: dict[str, Any] = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container(gpus=gpus)],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}}],
    }
    if gpus:
        spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "inference-stable", "namespace": namespace, "labels": dict(STACK_LABELS)},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "inference"}},
            "template": {"metadata": {"labels": dict(STACK_LABELS)}, "spec": spec},
        },
    }


def docker_container(name: str = "edge01-inference") -> dict[str, Any]:
    """A hardened edge docker.Container in wire form (labels as the provider's list of {label, value})."""
    labels = {**STACK_LABELS, "residency-zone": "us-site-a", "inference.edge/wave": "1"}
    return {
        "name": name,
        "image": PINNED_IMAGE,
        "user": "1000:1000",
        "readOnly": True,
        "privileged": False,
        "capabilities": {"drops": ["ALL"]},
        "securityOpts": ["no-new-privileges:true"],
        "memory": 8192,
        "cpus": "4",
        "restart": "unless-stopped",
        "gpus": "all",
        "ports": [{"internal": 8000, "external": 8000, "ip": "10.1.2.3", "protocol": "tcp"}],
        "labels": [{"label": key, "value": value} for key, value in labels.items()],
        "tmpfs": {"/tmp": "size=1g"},
    }
