"""docker-container-require-pinned-image: edge images are pinned by digest (stack policy)."""

from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from .._base import Config, Pending, Spec, StackReport, stack_policy
from .._docker import CONTAINER_TYPE, REMOTE_IMAGE_TYPE, image_uses
from .._images import is_pinned

SPEC = Spec(
    name="docker-container-require-pinned-image",
    area="workload",
    description=(
        "Docker remote images and container images are pinned by digest; a container whose image comes from a "
        "RemoteImage in the stack is judged by that RemoteImage's name."
    ),
    severity=Severity.HIGH,
    remediation="Pull images as docker.RemoteImage(name='registry/repo[:tag]@sha256:<digest>') and run that image.",
    hipaa=("164.312(c)(1)",),
    nist=("SI-7", "CM-2", "CM-14"),
    resource_types=(REMOTE_IMAGE_TYPE, CONTAINER_TYPE),
)


def _check(args: StackValidationArgs, report: StackReport, _config: Config) -> None:
    pending = Pending()
    for use in image_uses(args.resources, pending):
        if use.reference is None or not is_pinned(use.reference):
            report(f"{use.what} image {use.reference!r} is not pinned by digest.", use.resource.urn)
    pending.finish()


POLICY = stack_policy(SPEC, _check)
