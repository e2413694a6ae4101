"""aws-ecr-repository-require-scan-on-push: images are scanned for vulnerabilities when pushed."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import is_true

SPEC = Spec(
    name="aws-ecr-repository-require-scan-on-push",
    area="workload",
    description="ECR repositories scan every image on push.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set image_scanning_configuration={'scan_on_push': True} on the aws.ecr.Repository (or enable "
        "registry-level enhanced scanning and disable this policy in the profile)."
    ),
    hipaa=("164.308(a)(1)(ii)(A)",),
    nist=("RA-5", "SI-7"),
    resource_types=("aws:ecr/repository:Repository",),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    if not is_true(args.props, "imageScanningConfiguration", "scanOnPush"):
        report(f"ECR repository '{args.name}' does not scan images on push.")


POLICY = resource_policy(SPEC, _check)
