"""aws-rds-storage-require-encryption: RDS instances and Aurora clusters encrypt their storage."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._aws import lacks_customer_managed_key
from .._base import Config, Report, Spec, resource_policy
from .._props import is_true

SPEC = Spec(
    name="aws-rds-storage-require-encryption",
    area="encryption_at_rest",
    description="RDS DB instances and clusters encrypt storage, with a CMK where required.",
    severity=Severity.HIGH,
    remediation="Set storage_encrypted=True and kms_key_id=<KMS key ARN> on the aws.rds.Instance / aws.rds.Cluster.",
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-28", "SC-12"),
    config={"requireCustomerManagedKey": _params.REQUIRE_CMK},
    resource_types=("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    kind = "RDS cluster" if args.resource_type.endswith(":Cluster") else "RDS instance"
    if not is_true(args.props, "storageEncrypted"):
        report(f"{kind} '{args.name}' does not set storageEncrypted: true.")
    elif lacks_customer_managed_key(config, args.props, "kmsKeyId"):
        report(f"{kind} '{args.name}' has no kmsKeyId (customer-managed key).")


POLICY = resource_policy(SPEC, _check)
