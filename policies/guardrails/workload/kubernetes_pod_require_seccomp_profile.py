"""kubernetes-pod-require-seccomp-profile: every container runs under a seccomp profile."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .._base import Config, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, effective_security, per_container
from .._props import get

ALLOWED = ("RuntimeDefault", "Localhost")

SPEC = Spec(
    name="kubernetes-pod-require-seccomp-profile",
    area="workload",
    description="Every container runs with a RuntimeDefault or Localhost seccomp profile (pod or container level).",
    severity=Severity.MEDIUM,
    remediation=(
        "Set securityContext.seccompProfile.type=RuntimeDefault on the pod (or Localhost with a reviewed profile)."
    ),
    hipaa=("164.312(a)(1)",),
    nist=("CM-7", "SC-39"),
    resource_types=WORKLOAD_TYPES,
)


def _problems(pod_spec: Mapping[str, Any], container: Mapping[str, Any], _config: Config) -> Iterator[str]:
    kind = get(effective_security(pod_spec, container, "seccompProfile"), "type")
    if kind not in ALLOWED:
        shown = f"seccompProfile.type {kind!r}" if kind else "no seccompProfile"
        yield f"has {shown}; use one of {list(ALLOWED)}."


POLICY = resource_policy(SPEC, per_container(_problems))
