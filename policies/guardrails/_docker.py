"""Docker (pulumi-docker) helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from ._base import Config, Pending, StackCheck, StackReport
from ._images import is_image_id
from ._props import as_list, get, is_mapping, str_list
from ._stack import Targets

CONTAINER_TYPE = "docker:index/container:Container"
REMOTE_IMAGE_TYPE = "docker:index/remoteImage:RemoteImage"
PROVIDER_TYPE = "pulumi:providers:docker"


def labels(props: Mapping[str, Any]) -> dict[str, str]:
    """Container labels: a list of ``{label, value}`` in the docker provider's schema."""
    result: dict[str, str] = {}
    for item in as_list(get(props, "labels")):
        if not is_mapping(item):
            continue
        key, value = get(item, "label"), get(item, "value")
        if isinstance(key, str) and isinstance(value, str):
            result[key] = value
    return result


def container_name(props: Mapping[str, Any], fallback: str) -> str:
    name = get(props, "name")
    return name if isinstance(name, str) and name else fallback


def security_opts(props: Mapping[str, Any]) -> list[str]:
    """``securityOpts`` normalised: lower case, ``=`` for ``:`` (docker accepts both separators)."""
    return [opt.lower().replace(":", "=", 1) for opt in str_list(get(props, "securityOpts"))]


@dataclass(frozen=True)
class ImageUse:
    resource: PolicyResource
    what: str
    reference: str | None


def image_uses(resources: list[PolicyResource], pending: Pending) -> list[ImageUse]:
    """Every image reference a stack's Docker resources pull: RemoteImage names and container images.

    A container whose ``image`` is computed from a RemoteImage in the stack (its repoDigest or imageId,
    unknown at preview) is decided through that RemoteImage's name, so preview needs no computed value.
    """
    remotes = [r for r in resources if r.resource_type == REMOTE_IMAGE_TYPE]
    # Indexed once: an edge fleet has a container and a RemoteImage per device, so a scan per container is quadratic.
    by_urn = Targets(remotes)
    uses: list[ImageUse] = []
    for remote in remotes:
        with pending.check():
            name = get(remote.props, "name")
            uses.append(ImageUse(remote, f"remote image '{remote.name}'", name if isinstance(name, str) else None))
    for container in resources:
        if container.resource_type != CONTAINER_TYPE:
            continue
        sources = by_urn.linked(container, "image")
        try:
            image = get(container.props, "image")
        except UnknownValueError as exc:
            if not sources:
                pending.record(exc)
            continue
        if sources and isinstance(image, str) and is_image_id(image):
            continue  # the content ID of a RemoteImage checked above
        what = f"container '{container_name(container.props, container.name)}'"
        uses.append(ImageUse(container, what, image if isinstance(image, str) else None))
    return uses


def per_image_use(problem: Callable[[str | None, Config], str | None]) -> StackCheck:
    """A stack check reporting ``<what> <problem>`` on the resource of every image use (:func:`image_uses`).

    ``problem(reference, config)`` gets the reference (``None`` when the resource names no image).
    """

    def check(args: StackValidationArgs, report: StackReport, config: Config) -> None:
        pending = Pending()
        for use in image_uses(args.resources, pending):
            found = problem(use.reference, config)
            if found:
                report(f"{use.what} {found}", use.resource.urn)
        pending.finish()

    return check
