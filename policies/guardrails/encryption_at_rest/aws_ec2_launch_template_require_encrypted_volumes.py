"""aws-ec2-launch-template-require-encrypted-volumes: node volumes declared in launch templates are encrypted."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._aws import lacks_customer_managed_key
from .._base import Config, Report, Spec, resource_policy
from .._props import as_list, get, is_true

SPEC = Spec(
    name="aws-ec2-launch-template-require-encrypted-volumes",
    area="encryption_at_rest",
    description="Launch templates declare every EBS volume (root included) encrypted, with a CMK where required.",
    severity=Severity.HIGH,
    remediation=(
        "Add block_device_mappings for the root device with ebs={'encrypted': 'true', 'kms_key_id': <KMS key ARN>} "
        "to the aws.ec2.LaunchTemplate."
    ),
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-28", "SC-28(1)", "SC-12"),
    config={"requireCustomerManagedKey": _params.REQUIRE_CMK},
    resource_types=("aws:ec2/launchTemplate:LaunchTemplate",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    mappings = as_list(get(args.props, "blockDeviceMappings"))
    if not mappings:
        report(
            f"launch template '{args.name}' declares no blockDeviceMappings, so the root volume's encryption "
            "depends on the AMI and account defaults."
        )
        return
    for mapping in mappings:
        device = get(mapping, "deviceName") or "?"
        ebs = get(mapping, "ebs")
        if ebs is None:
            continue  # ephemeral / no-device mappings carry no EBS volume
        if not is_true(ebs, "encrypted"):
            report(f"launch template '{args.name}' volume {device} is not encrypted (ebs.encrypted is not true).")
        elif lacks_customer_managed_key(config, ebs, "kmsKeyId"):
            report(f"launch template '{args.name}' volume {device} has no ebs.kmsKeyId (customer-managed key).")


POLICY = resource_policy(SPEC, _check)
