"""aws-s3-replication-restrict-destination-region: S3 replication never copies data out of the allowed regions."""

from __future__ import annotations

from fnmatch import fnmatchcase

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from .. import _params
from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._props import as_list, declared, get
from .._stack import BUCKET_TYPES, bucket_name_from, buckets_named, linked, of_types, region_of

REPLICATION_TYPE = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"

SPEC = Spec(
    name="aws-s3-replication-restrict-destination-region",
    area="residency",
    description="S3 replication destinations are buckets in allowed regions.",
    severity=Severity.HIGH,
    remediation=(
        "Replicate only to a bucket in one of allowedRegions, declared in the same stack (so its region can be "
        "checked), or list an external destination bucket ARN in allowedExternalDestinations after review."
    ),
    hipaa=("164.308(a)(1)(ii)(B)", "164.308(a)(7)(ii)(A)"),
    nist=("SA-9(5)", "AC-4", "CP-9"),
    config={
        "allowedRegions": _params.ALLOWED_REGIONS,
        "allowedExternalDestinations": {
            **_params.STRING_LIST,
            "description": "Reviewed destination bucket ARNs outside this stack (shell patterns allowed).",
            "default": [],
        },
    },
    resource_types=(REPLICATION_TYPE, *BUCKET_TYPES),
)


def _rules(resource: PolicyResource) -> tuple[str, list[object]]:
    """The property holding the replication rules, and the rules."""
    if resource.resource_type == REPLICATION_TYPE:
        return "rules", as_list(get(resource.props, "rules"))
    # The deprecated inline replicationConfiguration on a bucket.
    block = declared(resource.props, "replicationConfiguration")
    return "replicationConfiguration", as_list(get(block, "rules"))


def _check_region(resource: PolicyResource, target: PolicyResource, allowed: list[str], report: StackReport) -> None:
    region = region_of(target)
    if region not in allowed:
        report(
            f"'{resource.name}' replicates to bucket '{target.name}' in region {region!r}, "
            f"which is not in allowedRegions {allowed}.",
            resource.urn,
        )


def _check(args: StackValidationArgs, report: StackReport, config: Config) -> None:
    allowed = list(config["allowedRegions"])
    external = list(config["allowedExternalDestinations"])
    buckets = of_types(args.resources, BUCKET_TYPES)
    pending = Pending()
    for resource in args.resources:
        if resource.resource_type not in SPEC.resource_types:
            continue
        with pending.check():
            prop, rules = _rules(resource)
            if not rules:
                continue
            # Destinations linked by dependency are decided at preview, even though their ARNs are unknown.
            sources = {b.urn for b in linked(resource, "bucket", buckets)} | {resource.urn}
            targets = [b for b in linked(resource, prop, buckets) if b.urn not in sources]
            if targets:
                for target in targets:
                    _check_region(resource, target, allowed, report)
                continue
            for rule in rules:
                value = get(rule, "destination", "bucket")
                if not isinstance(value, str):
                    continue
                if any(fnmatchcase(value, pattern) for pattern in external):
                    continue
                named = buckets_named(bucket_name_from(value), buckets)
                if not named:
                    report(
                        f"replication destination {value!r} of '{resource.name}' is not a bucket in this stack, "
                        "so its region can't be verified; add it to allowedExternalDestinations after review.",
                        resource.urn,
                    )
                for target in named:
                    _check_region(resource, target, allowed, report)
    pending.finish()


POLICY = stack_policy(SPEC, _check)
