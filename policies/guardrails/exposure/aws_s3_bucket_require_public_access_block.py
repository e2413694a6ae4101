"""aws-s3-bucket-require-public-access-block: every bucket blocks public ACLs and policies (stack policy)."""

from __future__ import annotations

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._props import as_bool, get
from .._stack import BUCKET_TYPES, bucket_targets, of_types

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
    return [key for key in SETTINGS if as_bool(get(block.props, key)) is not True]


def _check(args: StackValidationArgs, report: StackReport, _config: Config) -> None:
    pending = Pending()
    for account_block in of_types(args.resources, (ACCOUNT_PAB_TYPE,)):
        with pending.check():
            if not _missing(account_block):
                return  # the account-wide block covers every bucket
    buckets = of_types(args.resources, BUCKET_TYPES)
    found: dict[str, list[list[str]]] = {bucket.urn: [] for bucket in buckets}
    undecided: set[str] = set()
    unjoined = False
    for block in of_types(args.resources, (PAB_TYPE,)):
        try:
            targets = bucket_targets(block, "bucket", buckets)
        except UnknownValueError as exc:
            pending.record(exc)
            unjoined = True
            continue
        try:
            missing = _missing(block)
        except UnknownValueError as exc:
            pending.record(exc)
            undecided.update(bucket.urn for bucket in targets)
            continue
        for bucket in targets:
            found[bucket.urn].append(missing)
    for bucket in buckets:
        blocks = found[bucket.urn]
        if bucket.urn in undecided:
            continue
        if not blocks:
            if not unjoined:
                report(f"bucket '{bucket.name}' has no public access block.", bucket.urn)
        elif all(blocks_missing for blocks_missing in blocks):
            report(f"bucket '{bucket.name}': its public access block does not set {blocks[0]} to true.", bucket.urn)
    pending.finish()


POLICY = stack_policy(SPEC, _check)
