"""docker-container-require-pinned-image: edge images are pinned by digest (stack policy)."""

from __future__ import annotations

from pulumi_policy import Severity

from .._base import Config, Spec, stack_policy
from .._docker import CONTAINER_TYPE, REMOTE_IMAGE_TYPE, per_image_use
from .._images import pin_problem

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


def _problem(image: str | None, _config: Config) -> str | None:
    return pin_problem(image)


POLICY = stack_policy(SPEC, per_image_use(_problem))
