"""kubernetes-helm-release-require-pinned-chart: Helm releases pin an exact chart version."""

from __future__ import annotations

import re

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import get

EXACT_VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")

SPEC = Spec(
    name="kubernetes-helm-release-require-pinned-chart",
    area="workload",
    description="Helm releases and charts pin an exact chart version (no range, no 'latest').",
    severity=Severity.MEDIUM,
    remediation="Set version to an exact chart version such as '25.3.0' on the helm.v3.Release / helm.v4.Chart.",
    hipaa=("164.312(c)(1)",),
    nist=("CM-2", "CM-14", "SI-7"),
    resource_types=("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    version = get(args.props, "version")
    if not isinstance(version, str) or not EXACT_VERSION.match(version):
        report(f"Helm chart '{get(args.props, 'chart') or args.name}' version {version!r} is not an exact version.")


POLICY = resource_policy(SPEC, _check)
