"""kubernetes-resource-require-labels: namespaces and pod templates carry the ownership and classification labels."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._k8s import NAMESPACE_TYPE, WORKLOAD_TYPES, labels, pod_template, resource_name, workload_label
from .._labels import label_problems
from .._props import as_mapping, get

SPEC = Spec(
    name="kubernetes-resource-require-labels",
    area="governance",
    description=(
        "Kubernetes namespaces and workload pod templates carry the required labels (data-classification, owner, "
        "compliance-profile) with allowed values."
    ),
    severity=Severity.LOW,
    remediation="Label namespaces and pod templates with components/labels.py Labels.k8s_labels().",
    hipaa=("164.308(a)(1)(ii)(A)",),
    nist=("CM-8", "RA-2"),
    config={
        "requiredLabels": _params.REQUIRED_LABELS,
        "allowedValues": _params.ALLOWED_LABEL_VALUES,
    },
    resource_types=(NAMESPACE_TYPE, *WORKLOAD_TYPES),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if args.resource_type == NAMESPACE_TYPE:
        what = f"Namespace '{resource_name(args.props, args.name)}'"
        found = labels(as_mapping(get(args.props, "metadata")))
    else:
        template = pod_template(args.resource_type, args.props)
        if template is None:
            return
        what = f"{workload_label(args.resource_type, args.props, args.name)} pod template"
        found = labels(template.metadata)
    for problem in label_problems(what, found, list(config["requiredLabels"]), config["allowedValues"], "label"):
        report(problem)


POLICY = resource_policy(SPEC, _check)
