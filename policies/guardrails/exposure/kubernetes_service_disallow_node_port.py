"""kubernetes-service-disallow-node-port: no NodePort Services (they open a port on every node)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._k8s import SERVICE_TYPE, namespace_allowed, resource_name
from .._props import get

SPEC = Spec(
    name="kubernetes-service-disallow-node-port",
    area="exposure",
    description="Kubernetes Services are not of type NodePort (outside the allow-listed namespaces).",
    severity=Severity.MEDIUM,
    remediation="Use type ClusterIP behind an Ingress/Gateway, or an internal LoadBalancer.",
    hipaa=("164.312(a)(1)",),
    nist=("SC-7", "CM-7"),
    config={
        "allowedNamespaces": {
            **_params.STRING_LIST,
            "description": "Namespaces where NodePort Services are accepted (e.g. an on-prem ingress controller).",
            "default": [],
        }
    },
    resource_types=(SERVICE_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if get(args.props, "spec", "type") != "NodePort":
        return
    if namespace_allowed(args.props, config):
        return
    report(f"Service '{resource_name(args.props, args.name)}' is of type NodePort.")


POLICY = resource_policy(SPEC, _check)
