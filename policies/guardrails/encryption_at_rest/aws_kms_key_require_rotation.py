"""aws-kms-key-require-rotation: symmetric KMS keys rotate automatically."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .._base import Config, Report, Spec, resource_policy
from .._props import as_number, get, is_true

SPEC = Spec(
    name="aws-kms-key-require-rotation",
    area="encryption_at_rest",
    description="Symmetric encryption KMS keys have automatic rotation on, within the maximum rotation period.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set enable_key_rotation=True (and rotation_period_in_days <= maxRotationPeriodDays) on the aws.kms.Key."
    ),
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-12", "SC-12(1)"),
    config={
        "maxRotationPeriodDays": {
            "type": "integer",
            "minimum": 90,
            "maximum": 2560,
            "description": "Longest accepted rotation period in days (AWS default is 365).",
            "default": 365,
        }
    },
    resource_types=("aws:kms/key:Key",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    spec = get(args.props, "customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = get(args.props, "keyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        args.not_applicable(f"AWS rotates only symmetric encryption keys (this key is {spec}/{usage})")
    if not is_true(args.props, "enableKeyRotation"):
        report(f"KMS key '{args.name}' does not set enableKeyRotation: true.")
        return
    period = as_number(get(args.props, "rotationPeriodInDays"))
    limit = int(config["maxRotationPeriodDays"])
    if period is not None and period > limit:
        report(f"KMS key '{args.name}' rotates every {int(period)} days, more than maxRotationPeriodDays {limit}.")


POLICY = resource_policy(SPEC, _check)
