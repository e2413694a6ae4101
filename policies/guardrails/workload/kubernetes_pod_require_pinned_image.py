"""kubernetes-pod-require-pinned-image: every container image is pinned by digest."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Pending, Report, Spec, resource_policy
from .._images import is_pinned
from .._k8s import WORKLOAD_TYPES, containers, pod_template, workload_label
from .._props import get

SPEC = Spec(
    name="kubernetes-pod-require-pinned-image",
    area="workload",
    description="Every container image of a Kubernetes workload is pinned by digest (@sha256:...), never a bare tag.",
    severity=Severity.HIGH,
    remediation="Reference images as registry/repository[:tag]@sha256:<digest> (inference.image.reference).",
    hipaa=("164.312(c)(1)",),
    nist=("SI-7", "CM-2", "CM-14"),
    resource_types=WORKLOAD_TYPES,
    needs_computed_values=True,
    computed_values_note="An image built and pushed in the same update (ECR build) has its digest only after the push.",
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    what = workload_label(args.resource_type, args.props, args.name)
    pending = Pending()
    for label, container in containers(template.spec):
        with pending.check():
            image = get(container, "image")
            if not isinstance(image, str) or not is_pinned(image):
                report(f"{what} {label} image {image!r} is not pinned by digest.")
    pending.finish()


POLICY = resource_policy(SPEC, _check)
