"""Tag and label conventions: exactly the keys the policies rely on, merged once."""

from __future__ import annotations

import pytest

from components.config import ConfigError, validate
from components.labels import RESERVED_TAG_KEYS, Labels, label_value

PROJECT = "inference-platform"
BASE = {
    "deploymentModel": "public-cloud",
    "environment": "prod",
    "region": "us-east-2",
    "allowedRegions": ["us-east-2"],
    "compliance": {"profile": "baseline", "dataClassification": "phi", "owner": "ML Platform", "residencyZone": "us"},
    "gpuNodePools": [{"name": "gpu", "instanceTypes": ["g5.xlarge"], "minSize": 0, "desiredSize": 0, "maxSize": 1}],
    "inference": {
        "model": {"name": "m", "version": "1.0.0"},
        "image": {"reference": "registry.example/m@sha256:" + "a" * 64},
    },
}


def _labels(**overrides: object) -> Labels:
    return Labels.from_config(validate({**BASE, **overrides}, PROJECT))


def test_aws_tags_carry_exactly_the_architecture_keys_plus_config_tags() -> None:
    tags = _labels(tags={"cost-center": "cc-1"}).aws_tags()
    assert set(tags) == RESERVED_TAG_KEYS | {"cost-center"}
    assert tags["managed-by"] == "pulumi"
    assert tags["deployment-model"] == "public-cloud"
    assert tags["data-classification"] == "phi"


def test_config_tag_may_not_shadow_a_reserved_key() -> None:
    with pytest.raises(ConfigError) as error:
        _labels(tags={"owner": "someone-else"})
    message = str(error.value)
    assert "tags.owner" in message
    assert "reserved" in message
    assert "data-classification" in message  # the message lists the reserved keys


def test_k8s_labels_carry_the_pod_label_set() -> None:
    labels = _labels().k8s_labels("inference", "1.0.0")
    assert labels == {
        "data-classification": "phi",
        "residency-zone": "us",
        "compliance-profile": "baseline",
        "owner": "ML-Platform",
        "app.kubernetes.io/name": "inference",
        "app.kubernetes.io/version": "1.0.0",
        "app.kubernetes.io/managed-by": "pulumi",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ML Platform", "ML-Platform"), ("-x-", "x"), ("a" * 70, "a" * 63), ("team@corp", "team-corp")],
)
def test_label_value_is_a_valid_kubernetes_label_value(value: str, expected: str) -> None:
    assert label_value(value) == expected
