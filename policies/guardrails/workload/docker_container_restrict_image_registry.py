"""docker-container-restrict-image-registry: edge images come only from allowed registries (stack policy)."""

from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from .. import _params
from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._docker import CONTAINER_TYPE, REMOTE_IMAGE_TYPE, image_uses
from .._images import parse, registry_allowed

SPEC = Spec(
    name="docker-container-restrict-image-registry",
    area="workload",
    description="Docker remote images and container images come from allowed registries.",
    severity=Severity.HIGH,
    remediation="Mirror the image into an allowed registry (ECR, nvcr.io or the site registry) and pull it from there.",
    hipaa=("164.312(c)(1)",),
    nist=("SR-3", "SI-7", "CM-7(5)"),
    config={"allowedRegistries": _params.ALLOWED_REGISTRIES},
    resource_types=(REMOTE_IMAGE_TYPE, CONTAINER_TYPE),
)


def _check(args: StackValidationArgs, report: StackReport, config: Config) -> None:
    allowed = list(config["allowedRegistries"])
    pending = Pending()
    for use in image_uses(args.resources, pending):
        if use.reference is None:
            report(f"{use.what} has no image.", use.resource.urn)
            continue
        registry = parse(use.reference).registry
        if not registry_allowed(registry, allowed):
            report(
                f"{use.what} image {use.reference!r} comes from registry {registry!r}, not in {allowed}.",
                use.resource.urn,
            )
    pending.finish()


POLICY = stack_policy(SPEC, _check)
