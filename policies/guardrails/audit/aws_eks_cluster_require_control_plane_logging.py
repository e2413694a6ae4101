"""aws-eks-cluster-require-control-plane-logging: the API server's audit trail is on."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._props import get, str_list

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

SPEC = Spec(
    name="aws-eks-cluster-require-control-plane-logging",
    area="audit",
    description="EKS clusters send the required control-plane log types (api, audit, authenticator) to CloudWatch.",
    severity=Severity.HIGH,
    remediation="Set enabled_cluster_log_types to include every type in requiredLogTypes on the aws.eks.Cluster.",
    hipaa=("164.312(b)",),
    nist=("AU-2", "AU-3", "AU-12"),
    config={
        "requiredLogTypes": {
            **_params.STRING_LIST,
            "items": {"type": "string", "enum": LOG_TYPES},
            "minItems": 1,
            "description": "Control-plane log types that must be enabled.",
            "default": ["api", "audit", "authenticator"],
        }
    },
    resource_types=("aws:eks/cluster:Cluster",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    enabled = set(str_list(get(args.props, "enabledClusterLogTypes")))
    missing = [kind for kind in config["requiredLogTypes"] if kind not in enabled]
    if missing:
        report(f"EKS cluster '{args.name}' does not enable control-plane log types {missing}.")


POLICY = resource_policy(SPEC, _check)
