"""kubernetes-resource-require-residency-zone: namespaces and pod templates carry an allowed residency zone."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params, conventions
from .._base import Config, Report, Spec, resource_policy
from .._k8s import NAMESPACE_TYPE, WORKLOAD_TYPES, labels, pod_template, resource_name
from .._labels import zone_problem
from .._props import as_mapping, get

SPEC = Spec(
    name="kubernetes-resource-require-residency-zone",
    area="residency",
    description=(
        "Kubernetes namespaces and workload pod templates carry a residency-zone label inside the allowed zones."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Label the namespace (metadata.labels) and the pod template (spec.template.metadata.labels) with "
        "`residency-zone: <zone>` where <zone> is one of the profile's allowedZones."
    ),
    hipaa=("164.308(a)(1)(ii)(B)",),
    nist=("SA-9(5)", "AC-4", "CM-8"),
    config={"allowedZones": _params.ALLOWED_ZONES},
    resource_types=(NAMESPACE_TYPE, *WORKLOAD_TYPES),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    allowed = list(config["allowedZones"])
    name = resource_name(args.props, args.name)
    if args.resource_type == NAMESPACE_TYPE:
        what, found = f"Namespace '{name}'", labels(as_mapping(get(args.props, "metadata")))
    else:
        template = pod_template(args.resource_type, args.props)
        kind = args.resource_type.rsplit(":", 1)[-1]
        what = f"{kind} '{name}' pod template"
        found = labels(template.metadata) if template is not None else {}
    problem = zone_problem(what, found, conventions.RESIDENCY_ZONE, allowed)
    if problem:
        report(problem)


POLICY = resource_policy(SPEC, _check)
