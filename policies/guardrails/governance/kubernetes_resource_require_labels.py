"""kubernetes-resource-require-labels: namespaces and pod templates carry the ownership and classification labels."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Spec, resource_policy
from .._k8s import NAMESPACE_TYPE, WORKLOAD_TYPES, carried_labels, label_holder
from .._labels import labels_check

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


def _labels(args: ResourceValidationArgs) -> tuple[str, Mapping[str, str]] | None:
    found = carried_labels(args.resource_type, args.props)
    if found is None:
        return None
    return label_holder(args.resource_type, args.props, args.name), found


POLICY = resource_policy(SPEC, labels_check(_labels))
