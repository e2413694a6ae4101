"""docker-container-restrict-image-registry: edge images come only from allowed registries (stack policy)."""

from __future__ import annotations

from pulumi_policy import Severity

from .. import _params
from .._base import Config, Spec, stack_policy
from .._docker import CONTAINER_TYPE, REMOTE_IMAGE_TYPE, per_image_use
from .._images import registry_problem

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


def _problem(image: str | None, config: Config) -> str | None:
    return registry_problem(image, list(config["allowedRegistries"]))


POLICY = stack_policy(SPEC, per_image_use(_problem))
