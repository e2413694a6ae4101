"""docker-container-require-labels: edge containers carry the ownership and classification labels."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name, labels
from .._labels import labels_check

SPEC = Spec(
    name="docker-container-require-labels",
    area="governance",
    description=(
        "Docker containers carry the required labels (data-classification, owner, compliance-profile) with "
        "allowed values."
    ),
    severity=Severity.LOW,
    remediation="Add the stack's labels (components/labels.py Labels.k8s_labels()) as docker.Container labels.",
    hipaa=("164.308(a)(1)(ii)(A)",),
    nist=("CM-8", "RA-2"),
    config={
        "requiredLabels": _params.REQUIRED_LABELS,
        "allowedValues": _params.ALLOWED_LABEL_VALUES,
    },
    resource_types=(CONTAINER_TYPE,),
)


def _labels(args: ResourceValidationArgs) -> tuple[str, Mapping[str, str]]:
    return f"container '{container_name(args.props, args.name)}'", labels(args.props)


POLICY = resource_policy(SPEC, labels_check(_labels))
