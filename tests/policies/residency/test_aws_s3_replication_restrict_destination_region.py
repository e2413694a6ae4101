"""aws-s3-replication-restrict-destination-region (stack policy)."""

from __future__ import annotations

from guardrails.residency.aws_s3_replication_restrict_destination_region import POLICY

from tests.policies.harness import UNKNOWN, Provider, Res, analyze_stack

BUCKET = "aws:s3/bucket:Bucket"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
EAST = Provider("pulumi:providers:aws", "default_7_51_1", {"region": "us-east-2"})
EUROPE = Provider("pulumi:providers:aws", "eu", {"region": "eu-west-1"})


def _stack(destination_provider: Provider, *, destination_value: str = UNKNOWN) -> list[Res]:
    source = Res(BUCKET, "source", {"bucket": "source-bucket", "region": UNKNOWN}, provider=EAST)
    replica = Res(BUCKET, "replica", {"bucket": UNKNOWN, "region": UNKNOWN}, provider=destination_provider)
    rules = [{"id": "all", "status": "Enabled", "destination": {"bucket": destination_value}}]
    replication = Res(
        REPLICATION,
        "replication",
        {"bucket": UNKNOWN, "role": UNKNOWN, "rules": rules},
        property_deps={"bucket": ["source"], "rules": ["replica"]},
        provider=EAST,
    )
    return [source, replica, replication]


def test_destination_in_allowed_region_passes_at_preview() -> None:
    # Both ARNs are unknown at preview; the dependency on the replica bucket decides.
    result = analyze_stack(POLICY, _stack(EAST))
    assert result.passed, result.diagnostics


def test_destination_in_another_region_violates() -> None:
    result = analyze_stack(POLICY, _stack(EUROPE))
    assert result.has("replicates to bucket 'replica' in region 'eu-west-1'")
    assert result.violations[0].urn.endswith("::replication")


def test_destination_region_override_on_the_bucket_counts() -> None:
    resources = _stack(EAST)
    resources[1].props = {"bucket": "replica", "region": "ap-south-1"}
    assert analyze_stack(POLICY, resources).has("in region 'ap-south-1'")


def test_external_destination_violates_unless_listed() -> None:
    resources = _stack(EAST, destination_value="arn:aws:s3:::partner-bucket")
    resources[2].property_deps = {"bucket": ["source"]}
    assert analyze_stack(POLICY, resources).has("is not a bucket in this stack")
    config = {"allowedExternalDestinations": ["arn:aws:s3:::partner-*"]}
    assert analyze_stack(POLICY, resources, config=config).passed


def test_destination_matched_by_known_name() -> None:
    resources = _stack(EUROPE, destination_value="arn:aws:s3:::replica-bucket")
    resources[1].props = {"bucket": "replica-bucket"}
    resources[2].property_deps = {"bucket": ["source"]}
    assert analyze_stack(POLICY, resources).has("in region 'eu-west-1'")


def test_unlinked_unknown_destination_is_undecided() -> None:
    resources = _stack(EAST)
    resources[2].property_deps = {"bucket": ["source"]}
    result = analyze_stack(POLICY, resources)
    assert not result.violations
    assert len(result.undecided) == 1


def test_replication_without_rules_does_not_crash() -> None:
    resources = [Res(REPLICATION, "replication", {"bucket": "x"})]
    assert analyze_stack(POLICY, resources).passed


def test_allowed_regions_parameter_changes_the_verdict() -> None:
    result = analyze_stack(POLICY, _stack(EUROPE), config={"allowedRegions": ["us-east-2", "eu-west-1"]})
    assert result.passed


def test_bucket_with_provider_computed_replication_block_passes() -> None:
    assert analyze_stack(POLICY, [Res(BUCKET, "logs", {"bucket": "logs", "replicationConfiguration": UNKNOWN})]).passed


def test_inline_replication_on_the_bucket_is_checked() -> None:
    inline = {"role": UNKNOWN, "rules": [{"status": "Enabled", "destination": {"bucket": UNKNOWN}}]}
    source = Res(
        BUCKET,
        "source",
        {"bucket": "source", "replicationConfiguration": inline},
        {"replicationConfiguration": ["replica"]},
        provider=EAST,
    )
    replica = Res(BUCKET, "replica", {"bucket": UNKNOWN}, provider=EUROPE)
    assert analyze_stack(POLICY, [source, replica]).has("'source' replicates to bucket 'replica' in region 'eu-west-1'")
