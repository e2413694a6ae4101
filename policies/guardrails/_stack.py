"""Stack-policy helpers: join resources through property dependencies, names and ARNs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from ._aws import PROVIDER_TYPE
from ._base import Pending
from ._props import get, known_str

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")

T = TypeVar("T")


def of_types(resources: Iterable[PolicyResource], types: Iterable[str]) -> list[PolicyResource]:
    wanted = set(types)
    return [r for r in resources if r.resource_type in wanted]


class Targets:
    """Resources indexed by URN once, so joining many resources to them (:meth:`linked`) is linear in the stack.

    Answers as :func:`linked` does: the linked targets in the order given, each once per time it was given.
    """

    __slots__ = ("_positions", "_targets")

    def __init__(self, targets: Iterable[PolicyResource]) -> None:
        self._targets = list(targets)
        self._positions: dict[str, list[int]] = {}
        for position, target in enumerate(self._targets):
            self._positions.setdefault(target.urn, []).append(position)

    def linked(self, resource: PolicyResource, prop: str) -> list[PolicyResource]:
        """Targets that ``resource.<prop>`` depends on (the engine records these, so they are known at preview)."""
        found = {
            position
            for dependency in resource.property_dependencies.get(prop, [])
            for position in self._positions.get(dependency.urn, ())
        }
        return [self._targets[position] for position in sorted(found)]


def linked(resource: PolicyResource, prop: str, targets: Iterable[PolicyResource]) -> list[PolicyResource]:
    """Targets that ``resource.<prop>`` depends on; to join many resources to the same targets, use :class:`Targets`."""
    return Targets(targets).linked(resource, prop)


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


@dataclass
class BucketJoin(Generic[T]):
    """What the bucket-scoped resources of some types (encryption configurations, access blocks...) say per bucket."""

    buckets: list[PolicyResource]
    # Bucket URN -> the verdict of each such resource that applies to the bucket.
    verdicts: dict[str, list[T]]
    # Buckets that a resource whose verdict is unknown at preview applies to.
    undecided: set[str] = field(default_factory=set)
    # A resource's bucket is unknown at preview, so it may apply to any bucket.
    unjoined: bool = False

    def decided(self) -> Iterator[tuple[PolicyResource, list[T]]]:
        """Each bucket with its verdicts (possibly none), leaving out the undecided buckets."""
        for bucket in self.buckets:
            if bucket.urn not in self.undecided:
                yield bucket, self.verdicts[bucket.urn]


def join_buckets(
    resources: Sequence[PolicyResource],
    types: Iterable[str],
    verdict: Callable[[PolicyResource], T],
    pending: Pending,
) -> BucketJoin[T]:
    """Join the stack's resources of ``types`` to its buckets (their ``bucket`` input) and judge each with ``verdict``.

    A value unknown at preview, in the join or in the verdict, is recorded in ``pending``.
    """
    buckets = of_types(resources, BUCKET_TYPES)
    join: BucketJoin[T] = BucketJoin(buckets, {bucket.urn: [] for bucket in buckets})
    for resource in of_types(resources, types):
        try:
            targets = bucket_targets(resource, "bucket", buckets)
        except UnknownValueError as exc:
            pending.record(exc)
            join.unjoined = True
            continue
        try:
            value = verdict(resource)
        except UnknownValueError as exc:
            pending.record(exc)
            join.undecided.update(bucket.urn for bucket in targets)
            continue
        for bucket in targets:
            join.verdicts[bucket.urn].append(value)
    return join


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
