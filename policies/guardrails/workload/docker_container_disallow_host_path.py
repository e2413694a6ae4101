"""docker-container-disallow-host-path: no bind mounts of host paths outside the allow-list."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name
from .._props import as_list, get

SPEC = Spec(
    name="docker-container-disallow-host-path",
    area="workload",
    description="Docker containers bind-mount no host path outside allowedHostPaths (volumes and bind mounts).",
    severity=Severity.HIGH,
    remediation="Use named docker volumes or tmpfs; list a reviewed host path prefix in allowedHostPaths if required.",
    hipaa=("164.312(a)(1)", "164.312(c)(1)"),
    nist=("AC-6", "SC-39", "CM-7"),
    config={
        "allowedHostPaths": {
            **_params.STRING_LIST,
            "description": "Host path prefixes containers may bind-mount (e.g. a model cache directory).",
            "default": [],
        }
    },
    resource_types=(CONTAINER_TYPE,),
)


def _allowed(path: str, prefixes: list[str]) -> bool:
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in prefixes)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    paths = [get(volume, "hostPath") for volume in as_list(get(args.props, "volumes"))]
    paths += [get(mount, "source") for mount in as_list(get(args.props, "mounts")) if get(mount, "type") == "bind"]
    prefixes = list(config["allowedHostPaths"])
    denied = [path for path in paths if isinstance(path, str) and path and not _allowed(path, prefixes)]
    if denied:
        report(f"container '{container_name(args.props, args.name)}' bind-mounts host paths {denied}.")


POLICY = resource_policy(SPEC, _check)
