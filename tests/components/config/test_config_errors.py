"""Each kind of bad config gives one clear error naming the key path, the bad value and what is allowed."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.runtime.config import set_all_config

from components.config import ConfigError
from components.config.loader import raw_config
from tests.components.component_harness import config_error, raw_stack

ROOT = Path(__file__).resolve().parents[3]
PROJECT = "inference-platform"


@pytest.fixture
def runtime_config() -> Iterator[None]:
    yield
    set_all_config({})


def test_unknown_top_level_key_lists_the_allowed_keys(runtime_config: None) -> None:
    set_all_config({f"{PROJECT}:deploymentModel": "public-cloud", f"{PROJECT}:gpuPools": "[]"})
    with pytest.raises(ConfigError) as error:
        raw_config(PROJECT)
    message = str(error.value)
    assert f"{PROJECT}:gpuPools: unknown config key" in message
    assert "gpuNodePools" in message


def test_unknown_nested_key_lists_the_keys_of_its_section() -> None:
    raw = raw_stack("dev")
    raw["network"]["cidrBlock"] = "10.0.0.0/16"
    message = config_error(raw)
    assert (
        f"{PROJECT}:network.cidrBlock: unknown key; allowed keys are: azCount, cidr, egress, flowLogRetentionDays"
        in message
    )


def test_unknown_key_in_a_list_item_lists_the_item_keys() -> None:
    raw = raw_stack("dev")
    raw["gpuNodePools"][0]["gpus"] = 1
    message = config_error(raw)
    assert f"{PROJECT}:gpuNodePools[0].gpus: unknown key" in message
    assert "capacityType" in message


@pytest.mark.parametrize("cidr", ["10.0.0.1/16", "10.0.0.0/33", "not-a-cidr"])
def test_bad_cidr_names_the_key_and_the_form(cidr: str) -> None:
    raw = raw_stack("dev")
    raw["network"]["cidr"] = cidr
    message = config_error(raw)
    assert f"{PROJECT}:network.cidr: must be an IPv4 CIDR block" in message
    assert "'10.0.0.0/16'" in message
    assert repr(cidr) in message


def test_public_cidr_is_refused_for_the_vpc() -> None:
    raw = raw_stack("dev")
    raw["network"]["cidr"] = "8.8.0.0/16"
    assert "RFC 1918" in config_error(raw)


def test_vpc_too_small_for_the_subnet_layout() -> None:
    raw = raw_stack("dev")
    raw["network"]["cidr"] = "10.0.0.0/24"
    assert f"{PROJECT}:network.cidr: must be a /16 to /20 block" in config_error(raw)


def test_min_above_max_names_the_pool_and_the_rule() -> None:
    raw = raw_stack("dev")
    raw["gpuNodePools"][0].update(minSize=3, desiredSize=3, maxSize=1)
    message = config_error(raw)
    assert f"{PROJECT}:gpuNodePools[0]: sizes must satisfy minSize <= desiredSize <= maxSize" in message
    assert "minSize=3" in message
    assert "maxSize=1" in message


def test_autoscaling_min_above_max() -> None:
    raw = raw_stack("dev")
    raw["inference"]["autoscaling"] = {"minReplicas": 4, "maxReplicas": 2}
    assert f"{PROJECT}:inference.autoscaling: minReplicas (4) must be <= maxReplicas (2)" in config_error(raw)


def test_replicas_outside_autoscaling_bounds() -> None:
    raw = raw_stack("dev")
    raw["inference"]["replicas"] = 5
    assert "replicas (5) must be within autoscaling minReplicas..maxReplicas (1..2)" in config_error(raw)


def test_image_without_digest_is_refused_with_the_expected_form() -> None:
    raw = raw_stack("dev")
    raw["inference"]["image"]["reference"] = "nvcr.io/nvidia/tritonserver:24.08-py3"
    message = config_error(raw)
    assert f"{PROJECT}:inference.image.reference: must be pinned by digest" in message
    assert "@sha256:<64 hex>" in message
    assert "'nvcr.io/nvidia/tritonserver:24.08-py3'" in message


def test_unknown_profile_lists_the_profiles() -> None:
    raw = raw_stack("dev")
    raw["compliance"]["profile"] = "pci"
    message = config_error(raw)
    assert f"{PROJECT}:compliance.profile:" in message
    assert "'baseline', 'hipaa', 'fedramp-moderate' or 'fedramp-high'" in message
    assert "'pci'" in message


def test_wrong_type_names_the_expected_type() -> None:
    raw = raw_stack("dev")
    raw["network"]["azCount"] = "two"
    message = config_error(raw)
    assert f"{PROJECT}:network.azCount: Input should be a valid integer" in message
    assert "'two'" in message


def test_a_section_given_as_a_string_names_the_expected_object() -> None:
    raw = raw_stack("dev")
    raw["network"] = "10.0.0.0/16"
    assert f"{PROJECT}:network: Input should be a valid dictionary or instance of NetworkConfig" in config_error(raw)


def test_every_error_is_reported_at_once() -> None:
    raw = copy.deepcopy(raw_stack("dev"))
    raw["network"]["cidr"] = "bad"
    raw["compliance"]["profile"] = "pci"
    message = config_error(raw)
    assert message.count("\n  - ") == 2
