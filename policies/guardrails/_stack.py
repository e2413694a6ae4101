"""Stack-policy helpers: join resources through property dependencies, names and ARNs."""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from ._aws import PROVIDER_TYPE
from ._props import get, known_str

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def of_types(resources: Iterable[PolicyResource], types: Iterable[str]) -> list[PolicyResource]:
    wanted = set(types)
    return [r for r in resources if r.resource_type in wanted]


def linked(resource: PolicyResource, prop: str, targets: Iterable[PolicyResource]) -> list[PolicyResource]:
    """Targets that ``resource.<prop>`` depends on (the engine records these, so they are known at preview)."""
    urns = {dep.urn for dep in resource.property_dependencies.get(prop, [])}
    return [target for target in targets if target.urn in urns]


def bucket_name_from(value: str) -> str:
    """A bucket name from a name or an ``arn:aws[-partition]:s3:::name`` ARN."""
    return value.split(":::", 1)[1].split("/", 1)[0] if value.startswith("arn:") and ":::" in value else value


def buckets_named(name: str, buckets: Iterable[PolicyResource]) -> list[PolicyResource]:
    """Buckets whose name or id is known now and equals ``name``."""
    return [b for b in buckets if name in (known_str(b.props, "bucket"), known_str(b.props, "id"))]


def bucket_targets(resource: PolicyResource, prop: str, buckets: list[PolicyResource]) -> list[PolicyResource]:
    """The buckets a bucket-scoped resource (policy, SSE config, ...) applies to.

    Decided by property dependencies first; otherwise by the literal bucket name (raising
    ``UnknownValueError`` if that name is unknown and nothing else links it).
    """
    found = linked(resource, prop, buckets)
    if found:
        return found
    value = get(resource.props, prop)
    return buckets_named(bucket_name_from(value), buckets) if isinstance(value, str) else []


def region_of(resource: PolicyResource) -> str | None:
    """The region a resource lives in: its own ``region`` if set, else its AWS provider's region."""
    try:
        own = get(resource.props, "region")
    except UnknownValueError:
        # In stack analysis ``region`` is an output; unknown at preview means the program did not
        # set it, so the provider's region applies.
        own = None
    if isinstance(own, str) and own:
        return own
    provider = resource.provider
    if provider is not None and provider.resource_type == PROVIDER_TYPE:
        region = get(provider.props, "region")
        return region if isinstance(region, str) and region else None
    return None
