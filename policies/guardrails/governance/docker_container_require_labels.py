"""docker-container-require-labels: edge containers carry the ownership and classification labels."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name, labels
from .._labels import label_problems

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


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    what = f"container '{container_name(args.props, args.name)}'"
    found = labels(args.props)
    for problem in label_problems(what, found, list(config["requiredLabels"]), config["allowedValues"], "label"):
        report(problem)


POLICY = resource_policy(SPEC, _check)
