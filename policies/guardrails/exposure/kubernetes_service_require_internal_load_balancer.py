"""kubernetes-service-require-internal-load-balancer: LoadBalancer Services are internal in regulated profiles."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._k8s import SERVICE_TYPE, annotations_of, resource_name
from .._props import as_mapping, get

SPEC = Spec(
    name="kubernetes-service-require-internal-load-balancer",
    area="exposure",
    description="Kubernetes Services of type LoadBalancer carry an internal-scheme annotation (no internet-facing LB).",
    severity=Severity.HIGH,
    remediation=(
        "Annotate the Service with service.beta.kubernetes.io/aws-load-balancer-scheme: internal (AWS Load Balancer "
        "Controller) or another annotation listed in internalAnnotations; expose publicly only through the "
        "designated, reviewed public entry point."
    ),
    hipaa=("164.312(a)(1)", "164.312(e)(1)"),
    nist=("SC-7", "SC-7(5)"),
    config={
        "internalAnnotations": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Annotation -> value pairs, any one of which marks a load balancer internal.",
            "default": {
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                "networking.gke.io/load-balancer-type": "Internal",
                "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
            },
        }
    },
    resource_types=(SERVICE_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if get(args.props, "spec", "type") != "LoadBalancer":
        return
    notes = annotations_of(as_mapping(get(args.props, "metadata")))
    wanted = dict(config["internalAnnotations"])
    if not any(notes.get(key) == value for key, value in wanted.items()):
        report(
            f"Service '{resource_name(args.props, args.name)}' is a LoadBalancer without an internal annotation "
            f"(one of {wanted}): it would be internet-facing."
        )


POLICY = resource_policy(SPEC, _check)
