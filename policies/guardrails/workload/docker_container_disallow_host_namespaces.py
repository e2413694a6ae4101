"""docker-container-disallow-host-namespaces: no host network, PID, IPC or user namespace."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name
from .._props import get

MODES = ("networkMode", "pidMode", "ipcMode", "usernsMode")

SPEC = Spec(
    name="docker-container-disallow-host-namespaces",
    area="workload",
    description="Docker containers share no host namespace (network_mode, pid_mode, ipc_mode, userns_mode 'host').",
    severity=Severity.HIGH,
    remediation="Use a bridge network with ports bound to the serving address; drop the host pid/ipc/userns modes.",
    hipaa=("164.312(a)(1)",),
    nist=("SC-39", "AC-6", "SC-7"),
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    found = [f"{mode}=host" for mode in MODES if get(args.props, mode) == "host"]
    if found:
        report(f"container '{container_name(args.props, args.name)}' shares host namespaces: {', '.join(found)}.")


POLICY = resource_policy(SPEC, _check)
