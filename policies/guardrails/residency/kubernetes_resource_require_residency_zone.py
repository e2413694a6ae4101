"""kubernetes-resource-require-residency-zone: namespaces and pod templates carry an allowed residency zone."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params, conventions
from .._base import Config, Report, Spec, resource_policy
from .._k8s import NAMESPACE_TYPE, WORKLOAD_TYPES, carried_labels, label_holder
from .._labels import zone_problem

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
    what = label_holder(args.resource_type, args.props, args.name)
    # A workload kind without a pod template carries no zone label at all.
    found = carried_labels(args.resource_type, args.props) or {}
    problem = zone_problem(what, found, conventions.RESIDENCY_ZONE, list(config["allowedZones"]))
    if problem:
        report(problem)


POLICY = resource_policy(SPEC, _check)
