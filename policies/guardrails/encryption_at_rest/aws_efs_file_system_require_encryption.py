"""aws-efs-file-system-require-encryption: EFS file systems are encrypted at rest."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._aws import lacks_customer_managed_key
from .._base import Config, Report, Spec, resource_policy
from .._props import is_true

SPEC = Spec(
    name="aws-efs-file-system-require-encryption",
    area="encryption_at_rest",
    description="EFS file systems are encrypted at rest, with a CMK where required.",
    severity=Severity.HIGH,
    remediation="Set encrypted=True and kms_key_id=<KMS key ARN> on the aws.efs.FileSystem.",
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-28", "SC-12"),
    config={"requireCustomerManagedKey": _params.REQUIRE_CMK},
    resource_types=("aws:efs/fileSystem:FileSystem",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if not is_true(args.props, "encrypted"):
        report(f"EFS file system '{args.name}' is not encrypted (encrypted is not true).")
    elif lacks_customer_managed_key(config, args.props, "kmsKeyId"):
        report(f"EFS file system '{args.name}' has no kmsKeyId (customer-managed key).")


POLICY = resource_policy(SPEC, _check)
