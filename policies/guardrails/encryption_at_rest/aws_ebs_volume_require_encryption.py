"""aws-ebs-volume-require-encryption: EBS volumes and instance block devices are encrypted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._aws import lacks_customer_managed_key
from .._base import Config, Report, Spec, resource_policy
from .._props import as_list, get, is_true

VOLUME_TYPE = "aws:ebs/volume:Volume"
INSTANCE_TYPE = "aws:ec2/instance:Instance"

SPEC = Spec(
    name="aws-ebs-volume-require-encryption",
    area="encryption_at_rest",
    description="EBS volumes and EC2 instance block devices are encrypted, with a CMK where required.",
    severity=Severity.HIGH,
    remediation="Set encrypted=True and kms_key_id=<KMS key ARN> on the volume / block device.",
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-28", "SC-28(1)", "SC-12"),
    config={"requireCustomerManagedKey": _params.REQUIRE_CMK},
    resource_types=(VOLUME_TYPE, INSTANCE_TYPE),
)


def _check_device(what: str, device: Mapping[str, Any], report: Report, config: Config) -> None:
    if not is_true(device, "encrypted"):
        report(f"{what} is not encrypted (encrypted is not true).")
    elif lacks_customer_managed_key(config, device, "kmsKeyId"):
        report(f"{what} has no kmsKeyId (customer-managed key).")


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    if args.resource_type == VOLUME_TYPE:
        _check_device(f"EBS volume '{args.name}'", args.props, report, config)
        return
    root = get(args.props, "rootBlockDevice")
    _check_device(f"instance '{args.name}' root block device", root or {}, report, config)
    for device in as_list(get(args.props, "ebsBlockDevices")):
        name = get(device, "deviceName") or "?"
        _check_device(f"instance '{args.name}' EBS block device {name}", device, report, config)


POLICY = resource_policy(SPEC, _check)
