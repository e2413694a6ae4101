"""aws-ec2-launch-template-require-encrypted-volumes."""

from __future__ import annotations

import pytest
from guardrails.encryption_at_rest.aws_ec2_launch_template_require_encrypted_volumes import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched

TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
COMPLIANT = {
    "blockDeviceMappings": [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"encrypted": "true", "kmsKeyId": UNKNOWN, "volumeSize": 200, "volumeType": "gp3"},
        }
    ],
    "metadataOptions": {"httpTokens": "required"},
}


def test_compliant_template_passes() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("blockDeviceMappings.0.ebs.encrypted", "false", "/dev/xvda is not encrypted"),
        ("blockDeviceMappings.0.ebs.encrypted", DELETE, "/dev/xvda is not encrypted"),
        ("blockDeviceMappings.0.ebs.kmsKeyId", DELETE, "/dev/xvda has no ebs.kmsKeyId"),
        ("blockDeviceMappings", [], "declares no blockDeviceMappings"),
    ],
)
def test_each_gap_violates(path: str, value: object, fragment: str) -> None:
    result = analyze(POLICY, TYPE, patched(COMPLIANT, path, value))
    assert result.has(fragment), result.messages


def test_customer_managed_key_requirement_is_configurable() -> None:
    props = patched(COMPLIANT, "blockDeviceMappings.0.ebs.kmsKeyId", DELETE)
    assert analyze(POLICY, TYPE, props, config={"requireCustomerManagedKey": False}).passed


def test_missing_and_wrong_shaped_mappings_do_not_crash() -> None:
    assert analyze(POLICY, TYPE, {}).has("declares no blockDeviceMappings")
    assert analyze(POLICY, TYPE, {"blockDeviceMappings": [{"deviceName": "/dev/sdb", "noDevice": ""}]}).passed


def test_unknown_encrypted_flag_is_undecided_then_blocks_when_known() -> None:
    preview = analyze(POLICY, TYPE, patched(COMPLIANT, "blockDeviceMappings.0.ebs.encrypted", UNKNOWN))
    assert not preview.violations and len(preview.undecided) == 1
    update = analyze(POLICY, TYPE, patched(COMPLIANT, "blockDeviceMappings.0.ebs.encrypted", "false"))
    assert [d.level for d in update.violations] == ["mandatory"]
