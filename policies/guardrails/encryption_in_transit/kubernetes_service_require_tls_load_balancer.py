"""kubernetes-service-require-tls-load-balancer: LoadBalancer Services terminate TLS with an allowed policy."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._k8s import SERVICE_TYPE, annotations_of, resource_name
from .._props import as_list, as_mapping, get

_AWS = "service.beta.kubernetes.io/aws-load-balancer-"

SPEC = Spec(
    name="kubernetes-service-require-tls-load-balancer",
    area="encryption_in_transit",
    description=(
        "Kubernetes Services of type LoadBalancer terminate TLS on every port with an allowed TLS policy "
        "(AWS Load Balancer Controller annotations)."
    ),
    severity=Severity.HIGH,
    remediation=(
        f"Annotate the Service with {_AWS}ssl-cert (certificate ARN), {_AWS}ssl-ports ('*' or every port) and "
        f"{_AWS}ssl-negotiation-policy set to one of allowedTlsPolicies."
    ),
    hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)"),
    nist=("SC-8", "SC-8(1)", "SC-13"),
    config={
        "allowedTlsPolicies": _params.ALLOWED_TLS_POLICIES,
        "allowTcpPassthrough": _params.ALLOW_TCP_PASSTHROUGH,
    },
    resource_types=(SERVICE_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if get(args.props, "spec", "type") != "LoadBalancer":
        return
    if config["allowTcpPassthrough"]:
        args.not_applicable("the profile accepts TCP passthrough (TLS terminated in the pods)")
    name = f"Service '{resource_name(args.props, args.name)}'"
    notes = annotations_of(as_mapping(get(args.props, "metadata")))
    if not notes.get(f"{_AWS}ssl-cert"):
        report(f"{name} is a LoadBalancer without the {_AWS}ssl-cert annotation: its listeners are plaintext.")
        return
    tls_ports = {item.strip() for item in notes.get(f"{_AWS}ssl-ports", "*").split(",")}
    if "*" not in tls_ports:
        for port in as_list(get(args.props, "spec", "ports")):
            keys = {str(get(port, "name")), str(int(p)) if isinstance(p := get(port, "port"), int | float) else ""}
            if not keys & tls_ports:
                report(f"{name} port {get(port, 'name') or get(port, 'port')} is not in {_AWS}ssl-ports: plaintext.")
    policy = notes.get(f"{_AWS}ssl-negotiation-policy")
    allowed = list(config["allowedTlsPolicies"])
    if policy not in allowed:
        report(f"{name} uses TLS policy {policy!r} ({_AWS}ssl-negotiation-policy), not one of {allowed}.")


POLICY = resource_policy(SPEC, _check)
