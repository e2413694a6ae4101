"""kubernetes-pod-restrict-image-registry: images come only from allowed registries."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Pending, Report, Spec, resource_policy
from .._images import parse, registry_allowed
from .._k8s import WORKLOAD_TYPES, containers, pod_template, workload_label
from .._props import get

SPEC = Spec(
    name="kubernetes-pod-restrict-image-registry",
    area="workload",
    description="Every container image of a Kubernetes workload comes from an allowed registry.",
    severity=Severity.HIGH,
    remediation="Mirror the image into an allowed registry (ECR, nvcr.io or the site registry) and reference it there.",
    hipaa=("164.312(c)(1)",),
    nist=("SR-3", "SI-7", "CM-7(5)"),
    config={"allowedRegistries": _params.ALLOWED_REGISTRIES},
    resource_types=WORKLOAD_TYPES,
    needs_computed_values=True,
    computed_values_note="An image built and pushed in the same update names its ECR repository URL only after create.",
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    what = workload_label(args.resource_type, args.props, args.name)
    allowed = list(config["allowedRegistries"])
    pending = Pending()
    for label, container in containers(template.spec):
        with pending.check():
            image = get(container, "image")
            if not isinstance(image, str):
                report(f"{what} {label} has no image.")
                continue
            registry = parse(image).registry
            if not registry_allowed(registry, allowed):
                report(f"{what} {label} image {image!r} comes from registry {registry!r}, not in {allowed}.")
    pending.finish()


POLICY = resource_policy(SPEC, _check)
