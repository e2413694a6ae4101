"""aws-cloudwatch-log-group-require-kms-encryption: log groups (audit and flow logs included) use a KMS key."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import present

SPEC = Spec(
    name="aws-cloudwatch-log-group-require-kms-encryption",
    area="encryption_at_rest",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set kms_key_id=<KMS key ARN> on the aws.cloudwatch.LogGroup; the key policy must allow the "
        "logs.<region>.amazonaws.com service principal."
    ),
    hipaa=("164.312(a)(2)(iv)", "164.312(b)"),
    nist=("SC-28", "AU-9"),
    resource_types=("aws:cloudwatch/logGroup:LogGroup",),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    if not present(args.props, "kmsKeyId"):
        report(f"log group '{args.name}' has no kmsKeyId.")


POLICY = resource_policy(SPEC, _check)
