"""kubernetes-pod-disallow-privileged: no privileged containers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .._base import Config, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, per_container
from .._props import is_true

SPEC = Spec(
    name="kubernetes-pod-disallow-privileged",
    area="workload",
    description="No container of a Kubernetes workload runs privileged.",
    severity=Severity.CRITICAL,
    remediation="Remove securityContext.privileged (or set it to false); grant single capabilities only if needed.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "AC-6(10)", "CM-7"),
    resource_types=WORKLOAD_TYPES,
)


def _problems(_pod_spec: Mapping[str, Any], container: Mapping[str, Any], _config: Config) -> Iterator[str]:
    if is_true(container, "securityContext", "privileged"):
        yield "is privileged."


POLICY = resource_policy(SPEC, per_container(_problems))
