"""docker-container-restrict-port-binding: edge containers publish ports on an explicit address only."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name
from .._props import as_list, as_number, get, is_true

WILDCARDS = ("", "0.0.0.0", "::", "[::]")  # noqa: S104 - the bindings this policy refuses

SPEC = Spec(
    name="docker-container-restrict-port-binding",
    area="exposure",
    description=(
        "Docker containers publish ports only on an explicit host address (the device's serving address), "
        "never on all interfaces, and never publish all ports."
    ),
    severity=Severity.HIGH,
    remediation="Give every ports entry ip='<serving address>'; remove publish_all_ports.",
    hipaa=("164.312(a)(1)", "164.312(e)(1)"),
    nist=("SC-7", "CM-7"),
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    name = container_name(args.props, args.name)
    if is_true(args.props, "publishAllPorts"):
        report(f"container '{name}' publishes all exposed ports (publishAllPorts: true).")
    for port in as_list(get(args.props, "ports")):
        address = get(port, "ip")
        if address is None or address in WILDCARDS:
            internal = as_number(get(port, "internal"))
            shown = int(internal) if internal is not None else "?"
            report(f"container '{name}' publishes port {shown} on all host interfaces (no ip).")


POLICY = resource_policy(SPEC, _check)
