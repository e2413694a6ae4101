"""aws-sagemaker-resource-require-kms-encryption: SageMaker storage uses a customer-managed KMS key."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import present

# Type token -> the input that names its KMS key.
KEY_PROPERTY = {
    "aws:sagemaker/notebookInstance:NotebookInstance": "kmsKeyId",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": "kmsKeyArn",
    "aws:sagemaker/domain:Domain": "kmsKeyId",
}

SPEC = Spec(
    name="aws-sagemaker-resource-require-kms-encryption",
    area="encryption_at_rest",
    description="SageMaker notebook instances, endpoint configurations and domains encrypt storage with a KMS key.",
    severity=Severity.HIGH,
    remediation="Set kms_key_id (kms_key_arn on endpoint configurations) to a customer-managed KMS key ARN.",
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-28", "SC-12"),
    resource_types=tuple(KEY_PROPERTY),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    prop = KEY_PROPERTY[args.resource_type]
    if not present(args.props, prop):
        kind = args.resource_type.rsplit(":", 1)[-1]
        report(f"SageMaker {kind} '{args.name}' has no {prop}.")


POLICY = resource_policy(SPEC, _check)
