"""Kubernetes helpers: where each workload kind keeps its pod template, and the containers in it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from pulumi_policy import ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

from ._base import Config, Pending, Report, ResourceCheck
from ._props import as_list, as_mapping, get, has_key, is_mapping, known_str, str_map

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
SERVICE_TYPE = "kubernetes:core/v1:Service"
POD_TYPE = "kubernetes:core/v1:Pod"
INGRESS_TYPES = ("kubernetes:networking.k8s.io/v1:Ingress",)
GATEWAY_TYPES = (
    "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    "kubernetes:gateway.networking.k8s.io/v1beta1:Gateway",
)
ROUTE_TYPES = (
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    "kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute",
    "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute",
)

# Type token -> path from the resource's inputs to its pod template (metadata + spec).
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:core/v1:ReplicationController": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
    "kubernetes:core/v1:PodTemplate": ("template",),
    POD_TYPE: (),
}
WORKLOAD_TYPES: tuple[str, ...] = tuple(_TEMPLATE_PATHS)
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class PodTemplate:
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]


def pod_template(resource_type: str, props: Mapping[str, Any]) -> PodTemplate | None:
    """The pod template of a workload (the pod itself for a Pod), or ``None`` for other kinds / no spec."""
    path = _TEMPLATE_PATHS.get(resource_type)
    if path is None:
        return None
    template = get(props, *path) if path else props
    if not is_mapping(template):
        return None
    spec = get(template, "spec")
    return PodTemplate(metadata=as_mapping(get(template, "metadata")), spec=as_mapping(spec))


def containers(spec: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(label, container)`` for every init, app and ephemeral container; label is e.g. ``containers[server]``."""
    result = []
    for field in CONTAINER_FIELDS:
        for index, container in enumerate(as_list(get(spec, field))):
            if not is_mapping(container):
                continue
            name = get(container, "name")
            result.append((f"{field}[{name if isinstance(name, str) else index}]", container))
    return result


def namespace(props: Mapping[str, Any]) -> str:
    """The resource's namespace (``default`` if unset); raises ``UnknownValueError`` if computed."""
    value = get(props, "metadata", "namespace")
    return value if isinstance(value, str) and value else "default"


def namespace_allowed(props: Mapping[str, Any], config: Config) -> bool:
    """The resource's namespace is one of the policy's ``allowedNamespaces``; raises ``UnknownValueError`` if computed.

    Callers ask only once the resource does what needs the exemption, since the namespace is often computed.
    """
    return namespace(props) in list(config["allowedNamespaces"])


def resource_name(props: Mapping[str, Any], fallback: str) -> str:
    """``metadata.name`` for messages, or ``fallback`` (the Pulumi name) if unset or not known yet."""
    value = known_str(as_mapping(get_known(props, "metadata")), "name")
    return value or fallback


def get_known(props: Mapping[str, Any], key: str) -> Any:
    """``props[key]`` for message text only: ``None`` when missing or unknown at preview."""
    try:
        return get(props, key)
    except UnknownValueError:
        return None


def labels(metadata: Mapping[str, Any]) -> dict[str, str]:
    return str_map(get(metadata, "labels"))


def carried_labels(resource_type: str, props: Mapping[str, Any]) -> dict[str, str] | None:
    """A Namespace's labels or a workload's pod-template labels; ``None`` for a workload without a pod template."""
    if resource_type == NAMESPACE_TYPE:
        return labels(as_mapping(get(props, "metadata")))
    template = pod_template(resource_type, props)
    return labels(template.metadata) if template is not None else None


def label_holder(resource_type: str, props: Mapping[str, Any], fallback: str) -> str:
    """What :func:`carried_labels` read, for messages: ``Namespace 'ml'`` or ``Deployment 'web' pod template``."""
    what = workload_label(resource_type, props, fallback)
    return what if resource_type == NAMESPACE_TYPE else f"{what} pod template"


def annotations_of(metadata: Mapping[str, Any]) -> dict[str, str]:
    return str_map(get(metadata, "annotations"))


def resource_quantity(container: Mapping[str, Any], kind: str, resource: str) -> Any:
    """``resources.<kind>.<resource>`` of a container (kind is ``requests`` or ``limits``)."""
    return get(container, "resources", kind, resource)


def workload_label(resource_type: str, props: Mapping[str, Any], fallback: str) -> str:
    """``Deployment 'inference-stable'`` for messages."""
    return f"{resource_type.rsplit(':', 1)[-1]} '{resource_name(props, fallback)}'"


def effective_security(spec: Mapping[str, Any], container: Mapping[str, Any], key: str) -> Any:
    """A security setting from the container's securityContext, else the pod's (Kubernetes' own precedence)."""
    container_context = get(container, "securityContext")
    if has_key(container_context, key):
        return get(container_context, key)
    return get(spec, "securityContext", key)


# (pod spec, container, config) -> what is wrong with the container, each e.g. "is privileged."
ContainerProblems = Callable[[Mapping[str, Any], Mapping[str, Any], Config], Iterable[str]]


def per_container(
    problems: ContainerProblems, *, skip: tuple[str, ...] = (), isolate_unknowns: bool = False
) -> ResourceCheck:
    """A check that runs ``problems`` on every container of a workload's pod template.

    Each problem is reported as ``<Kind 'name'> <container label> <problem>``; kinds without a pod template pass.
    ``skip`` names container fields (e.g. ``ephemeralContainers``) passed over; they are still read, so one
    unknown at preview still leaves the check undecided. With ``isolate_unknowns`` a value unknown at preview in
    one container leaves the others checked and reported, then the check is undecided
    (:class:`guardrails._base.Pending`); without it the first unknown ends the check.
    """
    skipped = tuple(f"{field}[" for field in skip)

    def check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
        template = pod_template(args.resource_type, args.props)
        if template is None:
            return
        what = workload_label(args.resource_type, args.props, args.name)
        pending = Pending()
        for label, container in containers(template.spec):
            if label.startswith(skipped):
                continue
            guard: AbstractContextManager[None] = pending.check() if isolate_unknowns else nullcontext()
            with guard:
                for problem in problems(template.spec, container, config):
                    report(f"{what} {label} {problem}")
        pending.finish()

    return check
