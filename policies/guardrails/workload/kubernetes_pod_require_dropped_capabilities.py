"""kubernetes-pod-require-dropped-capabilities: drop ALL capabilities, add back only allowed ones."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from .. import _params
from .._base import Config, Spec, resource_policy
from .._k8s import WORKLOAD_TYPES, per_container
from .._props import get, str_list

SPEC = Spec(
    name="kubernetes-pod-require-dropped-capabilities",
    area="workload",
    description="Every container drops ALL Linux capabilities and adds back only allowed ones.",
    severity=Severity.HIGH,
    remediation="Set securityContext.capabilities.drop=['ALL']; add back only capabilities in allowedCapabilities.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    config={
        "allowedCapabilities": {
            **_params.STRING_LIST,
            "description": "Capabilities a container may add back after dropping ALL (e.g. NET_BIND_SERVICE).",
            "default": [],
        }
    },
    resource_types=WORKLOAD_TYPES,
)


def _problems(_pod_spec: Mapping[str, Any], container: Mapping[str, Any], config: Config) -> Iterator[str]:
    allowed = {cap.upper().removeprefix("CAP_") for cap in config["allowedCapabilities"]}
    capabilities = get(container, "securityContext", "capabilities")
    if "ALL" not in [cap.upper() for cap in str_list(get(capabilities, "drop"))]:
        yield "does not drop ALL capabilities."
    added = [cap for cap in str_list(get(capabilities, "add")) if cap.upper().removeprefix("CAP_") not in allowed]
    if added:
        yield f"adds capabilities {added}, not in allowedCapabilities {sorted(allowed)}."


POLICY = resource_policy(SPEC, per_container(_problems))
