"""docker-container-require-dropped-capabilities: drop ALL capabilities, add back only allowed ones."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name
from .._props import get, str_list

SPEC = Spec(
    name="docker-container-require-dropped-capabilities",
    area="workload",
    description="Docker containers drop ALL Linux capabilities and add back only allowed ones.",
    severity=Severity.HIGH,
    remediation="Set capabilities={'drops': ['ALL'], 'adds': [...]} with adds limited to allowedCapabilities.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    config={
        "allowedCapabilities": {
            **_params.STRING_LIST,
            "description": "Capabilities a container may add back after dropping ALL.",
            "default": [],
        }
    },
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    name = container_name(args.props, args.name)
    capabilities = get(args.props, "capabilities")
    drops = [cap.upper().removeprefix("CAP_") for cap in str_list(get(capabilities, "drops"))]
    if "ALL" not in drops:
        report(f"container '{name}' does not drop ALL capabilities.")
    allowed = {cap.upper().removeprefix("CAP_") for cap in config["allowedCapabilities"]}
    added = [cap for cap in str_list(get(capabilities, "adds")) if cap.upper().removeprefix("CAP_") not in allowed]
    if added:
        report(f"container '{name}' adds capabilities {added}, not in allowedCapabilities {sorted(allowed)}.")


POLICY = resource_policy(SPEC, _check)
