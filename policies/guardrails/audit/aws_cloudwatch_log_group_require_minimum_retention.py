"""aws-cloudwatch-log-group-require-minimum-retention: logs are kept at least as long as the profile says."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import as_number, get

SPEC = Spec(
    name="aws-cloudwatch-log-group-require-minimum-retention",
    area="audit",
    description=(
        "CloudWatch log groups keep events at least minRetentionDays (an unset or 0 retention means never expire)."
    ),
    severity=Severity.MEDIUM,
    remediation="Set retention_in_days to a CloudWatch retention period >= minRetentionDays (or leave it unset).",
    hipaa=("164.312(b)", "164.316(b)(2)(i)"),
    nist=("AU-11",),
    config={
        "minRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 3653,
            "description": "Shortest accepted retention in days.",
            "default": 365,
        }
    },
    resource_types=("aws:cloudwatch/logGroup:LogGroup",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    days = as_number(get(args.props, "retentionInDays"))
    minimum = int(config["minRetentionDays"])
    if days is not None and 0 < days < minimum:
        report(f"log group '{args.name}' keeps events {int(days)} days, less than minRetentionDays {minimum}.")


POLICY = resource_policy(SPEC, _check)
