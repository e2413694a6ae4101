"""aws-s3-bucket-require-public-access-block: every bucket blocks public ACLs and policies (stack policy)."""

from __future__ import annotations

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._props import is_true
from .._stack import BUCKET_TYPES, join_buckets, of_types

PAB_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB_TYPE = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

SPEC = Spec(
    name="aws-s3-bucket-require-public-access-block",
    area="exposure",
    description=(
        "Every S3 bucket has a public access block with all four settings true "
        "(or the stack sets an account-wide block with all four true)."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Add an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, block_public_policy, "
        "ignore_public_acls and restrict_public_buckets all True."
    ),
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"),
    nist=("AC-3", "AC-6", "SC-7"),
    resource_types=(*BUCKET_TYPES, PAB_TYPE, ACCOUNT_PAB_TYPE),
)


def _missing(block: PolicyResource) -> list[str]:
    return [key for key in SETTINGS if not is_true(block.props, key)]


def _check(args: StackValidationArgs, report: StackReport, _config: Config) -> None:
    pending = Pending()
    for account_block in of_types(args.resources, (ACCOUNT_PAB_TYPE,)):
        with pending.check():
            if not _missing(account_block):
                return  # the account-wide block covers every bucket
    join = join_buckets(args.resources, (PAB_TYPE,), _missing, pending)
    for bucket, blocks in join.decided():
        if not blocks:
            if not join.unjoined:
                report(f"bucket '{bucket.name}' has no public access block.", bucket.urn)
        elif all(blocks_missing for blocks_missing in blocks):
            report(f"bucket '{bucket.name}': its public access block does not set {blocks[0]} to true.", bucket.urn)
    pending.finish()


POLICY = stack_policy(SPEC, _check)
