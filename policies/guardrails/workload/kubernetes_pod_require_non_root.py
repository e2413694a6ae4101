"""kubernetes-pod-require-non-root: every container runs as a non-root user."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .._base import Config, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, effective_security, per_container
from .._props import as_bool, as_number

SPEC = Spec(
    name="kubernetes-pod-require-non-root",
    area="workload",
    description="Every container of a Kubernetes workload runs as non-root (runAsNonRoot: true, runAsUser not 0).",
    severity=Severity.HIGH,
    remediation=(
        "Set securityContext.runAsNonRoot=true and a non-zero runAsUser on the pod (or on each container); "
        "use an image that works as that user."
    ),
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    resource_types=WORKLOAD_TYPES,
)


def _problems(pod_spec: Mapping[str, Any], container: Mapping[str, Any], _config: Config) -> Iterator[str]:
    user = as_number(effective_security(pod_spec, container, "runAsUser"))
    if user == 0:
        yield "runs as root (runAsUser: 0)."
    elif as_bool(effective_security(pod_spec, container, "runAsNonRoot")) is not True:
        yield "does not set runAsNonRoot: true."


POLICY = resource_policy(SPEC, per_container(_problems, isolate_unknowns=True))
