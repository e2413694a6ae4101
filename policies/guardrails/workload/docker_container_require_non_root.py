"""docker-container-require-non-root: edge containers run as a non-root user."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._docker import CONTAINER_TYPE, container_name
from .._props import get

SPEC = Spec(
    name="docker-container-require-non-root",
    area="workload",
    description="Docker containers set a non-root user (the image's default user is often root).",
    severity=Severity.HIGH,
    remediation="Set user='<uid>:<gid>' (non-zero uid) on the docker.Container.",
    hipaa=("164.312(a)(1)",),
    nist=("AC-6", "CM-7"),
    resource_types=(CONTAINER_TYPE,),
)


def _check(args: ResourceValidationArgs, report: Report, _config: Config) -> None:
    user = get(args.props, "user")
    name = container_name(args.props, args.name)
    if not isinstance(user, str) or not user.strip():
        report(f"container '{name}' sets no user, so it runs as the image's default user (often root).")
        return
    account = user.split(":", 1)[0].strip()
    if account in ("0", "root"):
        report(f"container '{name}' runs as root (user {user!r}).")


POLICY = resource_policy(SPEC, _check)
