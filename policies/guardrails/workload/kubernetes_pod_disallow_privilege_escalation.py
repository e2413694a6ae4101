"""kubernetes-pod-disallow-privilege-escalation: allowPrivilegeEscalation is explicitly false."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .._base import Config, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, per_container
from .._props import as_bool, get

SPEC = Spec(
    name="kubernetes-pod-disallow-privilege-escalation",
    area="workload",
    description="Every container sets allowPrivilegeEscalation: false (Kubernetes defaults it to true).",
    severity=Severity.HIGH,
    remediation="Set securityContext.allowPrivilegeEscalation=false on every container.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    resource_types=WORKLOAD_TYPES,
)


def _problems(_pod_spec: Mapping[str, Any], container: Mapping[str, Any], _config: Config) -> Iterator[str]:
    if as_bool(get(container, "securityContext", "allowPrivilegeEscalation")) is not False:
        yield "does not set allowPrivilegeEscalation: false."


POLICY = resource_policy(SPEC, per_container(_problems))
