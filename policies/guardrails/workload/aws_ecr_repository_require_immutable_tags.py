"""aws-ecr-repository-require-immutable-tags: a pushed tag can never point at different content."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import get

SPEC = Spec(
    name="aws-ecr-repository-require-immutable-tags",
    area="workload",
    description="ECR repositories make image tags immutable.",
    severity=Severity.MEDIUM,
    remediation="Set image_tag_mutability='IMMUTABLE' on the aws.ecr.Repository.",
    hipaa=("164.312(c)(1)",),
    nist=("SI-7", "CM-2", "CM-14"),
    config={
        "allowExclusions": {
            "type": "boolean",
            "description": "Accept IMMUTABLE_WITH_EXCLUSION (mutable tags matching reviewed filters).",
            "default": False,
        }
    },
    resource_types=("aws:ecr/repository:Repository",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    accepted = ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"] if config["allowExclusions"] else ["IMMUTABLE"]
    mutability = get(args.props, "imageTagMutability")
    if mutability not in accepted:
        shown = mutability or "MUTABLE (default)"
        report(f"ECR repository '{args.name}' has imageTagMutability {shown!r}, not one of {accepted}.")


POLICY = resource_policy(SPEC, _check)
