"""aws-ebs-volume-require-encryption."""

from __future__ import annotations

import pytest
from guardrails.encryption_at_rest.aws_ebs_volume_require_encryption import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched

VOLUME = "aws:ebs/volume:Volume"
INSTANCE = "aws:ec2/instance:Instance"
COMPLIANT_VOLUME = {"availabilityZone": "us-east-2a", "size": 100, "encrypted": True, "kmsKeyId": UNKNOWN}
COMPLIANT_INSTANCE = {
    "instanceType": "m6i.large",
    "rootBlockDevice": {"encrypted": True, "kmsKeyId": UNKNOWN},
    "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": True, "kmsKeyId": UNKNOWN}],
}


@pytest.mark.parametrize(("type_", "props"), [(VOLUME, COMPLIANT_VOLUME), (INSTANCE, COMPLIANT_INSTANCE)])
def test_compliant_volumes_pass(type_: str, props: dict) -> None:
    assert analyze(POLICY, type_, props).passed


@pytest.mark.parametrize(
    ("type_", "props", "fragment"),
    [
        (VOLUME, patched(COMPLIANT_VOLUME, "encrypted", False), "EBS volume 'res' is not encrypted"),
        (VOLUME, patched(COMPLIANT_VOLUME, "kmsKeyId", DELETE), "has no kmsKeyId"),
        (INSTANCE, patched(COMPLIANT_INSTANCE, "rootBlockDevice", DELETE), "root block device is not encrypted"),
        (INSTANCE, patched(COMPLIANT_INSTANCE, "ebsBlockDevices.0.encrypted", False), "/dev/sdf is not encrypted"),
    ],
)
def test_each_gap_violates(type_: str, props: dict, fragment: str) -> None:
    assert analyze(POLICY, type_, props).has(fragment)


def test_aws_managed_key_accepted_when_profile_allows() -> None:
    props = patched(COMPLIANT_VOLUME, "kmsKeyId", DELETE)
    assert analyze(POLICY, VOLUME, props, config={"requireCustomerManagedKey": False}).passed


def test_empty_volume_does_not_crash() -> None:
    assert analyze(POLICY, VOLUME, {}).has("is not encrypted")
