"""docker-container-require-residency-zone: edge containers carry an allowed residency zone label."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params, conventions
from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name, labels
from .._labels import zone_problem

SPEC = Spec(
    name="docker-container-require-residency-zone",
    area="residency",
    description="Docker containers (edge devices) carry a residency-zone label inside the allowed zones.",
    severity=Severity.MEDIUM,
    remediation="Add the label `residency-zone: <zone>` to the docker.Container, with <zone> one of allowedZones.",
    hipaa=("164.308(a)(1)(ii)(B)",),
    nist=("SA-9(5)", "AC-4", "CM-8"),
    config={"allowedZones": _params.ALLOWED_ZONES},
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    what = f"Container '{container_name(args.props, args.name)}'"
    problem = zone_problem(what, labels(args.props), conventions.RESIDENCY_ZONE, list(config["allowedZones"]))
    if problem:
        report(problem)


POLICY = resource_policy(SPEC, _check)
