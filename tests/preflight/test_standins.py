"""Offline answers to data-source calls."""

from __future__ import annotations

import json

import pytest

from preflight.engine import default_provider_name
from preflight.standins import InvokeContext, UnknownInvokeError, answer, partition_of, zone_id_prefix

EAST = InvokeContext(region="us-east-1")


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("us-east-1", "use1"),
        ("eu-west-2", "euw2"),
        ("ap-southeast-1", "apse1"),
        ("ca-central-1", "cac1"),
        ("us-gov-west-1", "usgw1"),
    ],
)
def test_zone_id_prefix_matches_aws(region: str, prefix: str) -> None:
    assert zone_id_prefix(region) == prefix


@pytest.mark.parametrize(
    ("region", "partition"), [("us-east-2", "aws"), ("us-gov-east-1", "aws-us-gov"), ("cn-north-1", "aws-cn")]
)
def test_partition_of_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition


def test_availability_zones_are_six_per_region() -> None:
    result = answer("aws:index/getAvailabilityZones:getAvailabilityZones", {}, EAST)
    assert result["names"] == ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]
    assert result["zoneIds"] == [f"use1-az{i}" for i in range(1, 7)]


def test_availability_zones_honour_exclusions() -> None:
    args = {"excludeNames": ["us-east-1a"], "excludeZoneIds": ["use1-az6"]}
    result = answer("aws:index/getAvailabilityZones:getAvailabilityZones", args, EAST)
    assert result["names"] == ["us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e"]


def test_availability_zones_region_argument_wins() -> None:
    result = answer("aws:index/getAvailabilityZones:getAvailabilityZones", {"region": "eu-west-1"}, EAST)
    assert result["names"][0] == "eu-west-1a"


def test_caller_identity_account_and_partition() -> None:
    result = answer("aws:index/getCallerIdentity:getCallerIdentity", {}, InvokeContext(region="us-gov-west-1"))
    assert result["accountId"] == "111122223333"
    assert result["arn"].startswith("arn:aws-us-gov:iam::111122223333:")


def test_partition_of_gov_region() -> None:
    result = answer("aws:index/getPartition:getPartition", {}, InvokeContext(region="us-gov-west-1"))
    assert (result["partition"], result["dnsSuffix"]) == ("aws-us-gov", "amazonaws.com")


def test_region_is_the_providers() -> None:
    result = answer("aws:index/getRegion:getRegion", {}, InvokeContext(region="eu-central-1"))
    assert (result["name"], result["region"], result["endpoint"]) == (
        "eu-central-1",
        "eu-central-1",
        "ec2.eu-central-1.amazonaws.com",
    )


def test_policy_document_renders_principals_conditions_and_lists() -> None:
    args = {
        "statements": [
            {
                "sid": "Read",
                "actions": ["s3:GetObject", "s3:ListBucket"],
                "resources": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::111122223333:role/r"]}],
                "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]}],
            },
            {"effect": "Deny", "actions": ["s3:*"], "principals": [{"type": "*", "identifiers": ["*"]}]},
        ]
    }
    document = json.loads(answer("aws:iam/getPolicyDocument:getPolicyDocument", args, EAST)["json"])
    assert document["Statement"] == [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetObject"],
            "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/r"},
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        },
        {"Effect": "Deny", "Action": "s3:*", "Principal": "*"},
    ]


def test_policy_document_override_replaces_statement_with_the_same_sid() -> None:
    override = json.dumps({"Statement": [{"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
    args = {
        "statements": [{"sid": "A", "actions": ["s3:GetObject"]}, {"sid": "B", "actions": ["s3:PutObject"]}],
        "overridePolicyDocuments": [override],
    }
    document = json.loads(answer("aws:iam/getPolicyDocument:getPolicyDocument", args, EAST)["minifiedJson"])
    assert [(s["Sid"], s["Effect"]) for s in document["Statement"]] == [("A", "Deny"), ("B", "Allow")]


def test_public_ami_parameter_is_a_stable_ami_id() -> None:
    name = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/nvidia/recommended/image_id"
    first = answer("aws:ssm/getParameter:getParameter", {"name": name}, EAST)["value"]
    again = answer("aws:ssm/getParameter:getParameter", {"name": name}, EAST)["value"]
    assert first == again
    assert first.startswith("ami-")
    assert len(first) == len("ami-") + 17


def test_private_ssm_parameter_has_no_stand_in() -> None:
    with pytest.raises(UnknownInvokeError, match="no offline stand-in for SSM parameter '/team/db-password'"):
        answer("aws:ssm/getParameter:getParameter", {"name": "/team/db-password"}, EAST)


def test_unknown_token_is_named() -> None:
    with pytest.raises(UnknownInvokeError, match="'kubernetes:yaml:decode'"):
        answer("kubernetes:yaml:decode", {}, EAST)


@pytest.mark.parametrize(
    ("version", "name"),
    [("7.51.1", "default_7_51_1"), ("", "default"), ("4.0.0-alpha.1+abc", "default_4_0_0_alpha_1_abc")],
)
def test_default_provider_name_follows_the_engine(version: str, name: str) -> None:
    assert default_provider_name(version) == name
