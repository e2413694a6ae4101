"""kubernetes-pod-require-read-only-root-filesystem: containers cannot write to their image."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .._base import Config, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, per_container
from .._props import is_true

SPEC = Spec(
    name="kubernetes-pod-require-read-only-root-filesystem",
    area="workload",
    description="Every container has a read-only root filesystem.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set securityContext.readOnlyRootFilesystem=true; mount emptyDir volumes where the process must write "
        "(/tmp, caches)."
    ),
    hipaa=("164.312(c)(1)",),
    nist=("CM-7", "SI-7"),
    resource_types=WORKLOAD_TYPES,
)


def _problems(_pod_spec: Mapping[str, Any], container: Mapping[str, Any], _config: Config) -> Iterator[str]:
    if not is_true(container, "securityContext", "readOnlyRootFilesystem"):
        yield "does not set readOnlyRootFilesystem: true."


POLICY = resource_policy(SPEC, per_container(_problems))
