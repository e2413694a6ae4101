"""kubernetes-workload-restrict-data-placement: sensitive data classes run only on the side placement allows."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import conventions
from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE
from .._docker import labels as docker_labels
from .._k8s import NAMESPACE_TYPE, WORKLOAD_TYPES, carried_labels, workload_label

SIDES = ["cloud", "onprem", "edge"]

SPEC = Spec(
    name="kubernetes-workload-restrict-data-placement",
    area="governance",
    description=(
        f"A namespace, workload or container labelled with a data classification that the placement table maps to "
        f"given sides runs only on those sides ({conventions.PLACEMENT_SIDE} label), e.g. PHI only on-prem in the "
        "hybrid model."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Deploy the workload on a side its data classification is placed on (hybrid placement table), or "
        "reclassify the data; the hybrid model labels every namespace and pod template with "
        f"{conventions.PLACEMENT_SIDE}."
    ),
    hipaa=("164.308(a)(4)(ii)(A)", "164.312(a)(1)"),
    nist=("AC-4", "SA-9(5)"),
    config={
        "placement": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string", "enum": SIDES}, "minItems": 1},
            "description": "Data classification -> sides it may run on (cloud, onprem, edge).",
            "default": {"phi": ["onprem"], "cui": ["onprem"]},
        }
    },
    resource_types=(NAMESPACE_TYPE, *WORKLOAD_TYPES, CONTAINER_TYPE),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if args.resource_type == CONTAINER_TYPE:
        what, found = f"container '{args.name}'", docker_labels(args.props)
    else:
        carried = carried_labels(args.resource_type, args.props)
        if carried is None:
            return
        what, found = workload_label(args.resource_type, args.props, args.name), carried
    side = found.get(conventions.PLACEMENT_SIDE)
    classification = found.get(conventions.DATA_CLASSIFICATION)
    placement = dict(config["placement"])
    if side is None or classification not in placement:
        args.not_applicable(f"no {conventions.PLACEMENT_SIDE} label, or a classification without placement rules")
    allowed = list(placement[classification])
    if side not in allowed:
        report(f"{what} holds {classification!r} data on side {side!r}; placement allows only {allowed}.")


POLICY = resource_policy(SPEC, _check)
