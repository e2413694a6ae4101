"""Encryption keys: one rotating customer-managed key per purpose, each usable by its service."""

from __future__ import annotations

import json

import pytest
from component_harness import TAGS, plan_block

from components.keys import EncryptionKeys, EncryptionKeysArgs, KeyPurpose
from preflight.engine import PlanResult

KEY = "aws:kms/key:Key"


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        EncryptionKeys("keys", EncryptionKeysArgs(region="us-east-1", tags=TAGS))  # protect left at its default
        EncryptionKeys(
            "dev", EncryptionKeysArgs(region="us-east-1", tags=TAGS, purposes=[KeyPurpose.S3], protect=False)
        )

    return plan_block(build)


def _key(plan: PlanResult, name: str) -> dict:
    return next(res for res in plan.by_type(KEY) if res.name == name).inputs


def _statements(plan: PlanResult, name: str) -> dict[str, dict]:
    return {statement["Sid"]: statement for statement in json.loads(_key(plan, name)["policy"])["Statement"]}


def test_one_key_per_purpose(plan: PlanResult) -> None:
    names = sorted(res.name for res in plan.by_type(KEY) if res.name.startswith("keys-"))
    assert names == sorted(f"keys-{purpose}" for purpose in KeyPurpose)


@pytest.mark.parametrize("purpose", list(KeyPurpose))
def test_every_key_rotates(plan: PlanResult, purpose: KeyPurpose) -> None:
    key = _key(plan, f"keys-{purpose}")
    assert key["enableKeyRotation"] is True
    assert key["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"


def test_account_root_administers_every_key(plan: PlanResult) -> None:
    for purpose in KeyPurpose:
        root = _statements(plan, f"keys-{purpose}")["EnableRootAdministration"]
        assert root["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}


def test_cloudwatch_logs_may_use_the_logs_key_for_this_accounts_groups(plan: PlanResult) -> None:
    logs = _statements(plan, "keys-logs")["AllowCloudWatchLogs"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert "kms:GenerateDataKey*" in logs["Action"]
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:111122223333:log-group:*"
    )


def test_autoscaling_may_use_the_ebs_key_for_encrypted_node_volumes(plan: PlanResult) -> None:
    statements = _statements(plan, "keys-ebs")
    role = "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert statements["AllowAutoScalingUse"]["Condition"]["StringEquals"]["aws:PrincipalArn"] == role
    grants = statements["AllowAutoScalingGrants"]
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


@pytest.mark.parametrize(("purpose", "service"), [("s3", "s3"), ("ecr", "ecr"), ("eks-secrets", "eks")])
def test_service_keys_are_used_only_through_their_service(plan: PlanResult, purpose: str, service: str) -> None:
    statement = next(s for sid, s in _statements(plan, f"keys-{purpose}").items() if sid.startswith("AllowUseThrough"))
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == f"{service}.us-east-1.amazonaws.com"


def test_keys_are_protected_and_retained_unless_opted_out(plan: PlanResult) -> None:
    flags = {res.name: (res.protect, res.retain_on_delete) for res in plan.by_type(KEY)}
    assert all(flags[f"keys-{purpose}"] == (True, True) for purpose in KeyPurpose)
    assert flags["dev-s3"] == (False, False)


def test_each_key_has_an_alias(plan: PlanResult) -> None:
    prefixes = sorted(res.inputs["namePrefix"] for res in plan.by_type("aws:kms/alias:Alias"))
    assert "alias/keys-logs-" in prefixes
    assert "alias/dev-s3-" in prefixes
    assert len(prefixes) == len(KeyPurpose) + 1


def test_asking_for_a_missing_purpose_names_what_exists() -> None:
    errors: list[str] = []

    def build() -> None:
        keys = EncryptionKeys("only-s3", EncryptionKeysArgs(region="us-east-1", tags=TAGS, purposes=[KeyPurpose.S3]))
        try:
            keys.arn(KeyPurpose.LOGS)
        except ValueError as exc:
            errors.append(str(exc))

    plan_block(build)
    assert errors == ["EncryptionKeys has no 'logs' key; built with purposes ['s3']"]
