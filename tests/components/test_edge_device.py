"""Edge device block: per-device Docker provider, digest-pinned images, hardened inference container."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_docker as docker
import pytest

from components.config.models import Accel, EdgeDevice
from components.edge_device import (
    CANDIDATE,
    STABLE,
    ContainerSpec,
    Device,
    DeviceArgs,
    ServingVersion,
    device_labels,
    version_labels,
)
from components.labels import IMAGE_LABEL, SITE_LABEL, WAVE_LABEL
from preflight.engine import PlanResult, RecordedResource, is_secret, unwrap_secret
from tests.components.component_harness import plan_block

PROVIDER = "pulumi:providers:docker"
IMAGE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"
REGISTRY = "registry.edge.example.internal:5000"
STABLE_VERSION = ServingVersion(STABLE, f"{REGISTRY}/triage:0.9.4@sha256:{'a' * 64}", "0.9.4")
CANDIDATE_VERSION = ServingVersion(CANDIDATE, f"{REGISTRY}/triage:1.0.0@sha256:{'b' * 64}", "1.0.0")
SHARED_LABELS = {"data-classification": "phi", "owner": "clinical-edge", "compliance-profile": "hipaa"}

# name -> (accelerator, serving version, kept pulled)
DEVICES: dict[str, tuple[Accel, ServingVersion, tuple[ServingVersion, ...]]] = {
    "gpu": (Accel.NVIDIA, STABLE_VERSION, ()),
    "jetson": (Accel.JETSON, STABLE_VERSION, ()),
    "cpu": (Accel.NONE, STABLE_VERSION, ()),
    "canary": (Accel.NVIDIA, CANDIDATE_VERSION, (STABLE_VERSION,)),
}


def _config_device(name: str) -> EdgeDevice:
    return EdgeDevice(
        name=name,
        host=f"ssh://deploy@{name}.site-a.example.internal",
        serving_address=f"10.1.0.{10 + list(DEVICES).index(name)}",
        site="site-a",
        residency_zone="us-site-a",
        wave=2,
    )


def _spec() -> ContainerSpec:
    # Built inside the program: the registry login is a secret Output.
    return ContainerSpec(
        container_name="inference",
        user="10001:10001",
        memory_mb=4096,
        cpus=2.5,
        ports=(8000, 8001),
        health_port=8000,
        health_path="/v2/health/ready",
        health_interval_seconds=10,
        health_start_period_seconds=300,
        tmp_size_mb=128,
        log_max_size="20m",
        log_max_files=3,
        registry_auth=[
            docker.ProviderRegistryAuthArgs(
                address=REGISTRY, username=pulumi.Output.secret("robot"), password=pulumi.Output.secret("s3cret")
            )
        ],
    )


def _build() -> None:
    spec = _spec()
    per_version = {v.track: version_labels(SHARED_LABELS, v) for v in (STABLE_VERSION, CANDIDATE_VERSION)}
    for name, (accelerator, serving, kept) in DEVICES.items():
        device = _config_device(name)
        Device(
            f"fleet-{name}",
            DeviceArgs(
                host=device.host,
                serving_address=device.serving_address,
                accelerator=accelerator,
                serving=serving,
                kept_pulled=kept,
                labels=device_labels(per_version[serving.track], device),
                spec=spec,
            ),
        )


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return plan_block(_build)


def _child(plan: PlanResult, token: str, name: str) -> RecordedResource:
    return plan.one(token, name)


def _container(plan: PlanResult, device: str) -> dict[str, Any]:
    return _child(plan, CONTAINER, f"fleet-{device}-container").inputs


def _labels(plan: PlanResult, device: str) -> dict[str, str]:
    return {item["label"]: item["value"] for item in _container(plan, device)["labels"]}


def _images(plan: PlanResult, device: str) -> dict[str, RecordedResource]:
    return {res.inputs["name"]: res for res in plan.by_type(IMAGE) if res.name.startswith(f"fleet-{device}-image-")}


def test_each_device_gets_a_component(plan: PlanResult) -> None:
    assert sorted(res.name for res in plan.by_type("inference:edge:Device")) == sorted(f"fleet-{d}" for d in DEVICES)


@pytest.mark.parametrize("device", list(DEVICES))
def test_provider_targets_the_device_ssh_host(plan: PlanResult, device: str) -> None:
    provider = _child(plan, PROVIDER, f"fleet-{device}-docker")
    assert provider.inputs["host"] == f"ssh://deploy@{device}.site-a.example.internal"


def test_provider_ssh_checks_host_keys_and_never_prompts(plan: PlanResult) -> None:
    options = json.loads(_child(plan, PROVIDER, "fleet-gpu-docker").inputs["sshOpts"])
    pairs = {options[i + 1] for i in range(0, len(options), 2) if options[i] == "-o"}
    assert {"StrictHostKeyChecking=yes", "BatchMode=yes", "PasswordAuthentication=no"} <= pairs


def test_provider_registry_login_is_a_secret(plan: PlanResult) -> None:
    auth = _child(plan, PROVIDER, "fleet-gpu-docker").inputs["registryAuth"]
    assert is_secret(auth)
    assert json.loads(unwrap_secret(auth)) == [{"address": REGISTRY, "username": "robot", "password": "s3cret"}]


@pytest.mark.parametrize("device", list(DEVICES))
def test_every_device_resource_uses_the_device_provider(plan: PlanResult, device: str) -> None:
    provider_urn = _child(plan, PROVIDER, f"fleet-{device}-docker").urn
    resources = [*_images(plan, device).values(), _child(plan, CONTAINER, f"fleet-{device}-container")]
    assert {res.provider_urn for res in resources} == {provider_urn}


def test_image_is_pulled_by_digest_and_kept_on_the_device(plan: PlanResult) -> None:
    images = _images(plan, "gpu")
    assert list(images) == [STABLE_VERSION.image]
    assert images[STABLE_VERSION.image].inputs["keepLocally"] is True


def test_candidate_device_keeps_the_stable_image_pulled(plan: PlanResult) -> None:
    assert sorted(_images(plan, "canary")) == sorted([STABLE_VERSION.image, CANDIDATE_VERSION.image])


def test_image_resource_is_named_by_digest_not_by_track(plan: PlanResult) -> None:
    # A version keeps its resource name when it moves from candidate to stable.
    assert _images(plan, "canary")[CANDIDATE_VERSION.image].name == f"fleet-canary-image-{'b' * 12}"


@pytest.mark.parametrize(("device", "version"), [("gpu", STABLE_VERSION), ("canary", CANDIDATE_VERSION)])
def test_container_runs_the_image_of_its_version(plan: PlanResult, device: str, version: ServingVersion) -> None:
    container = _child(plan, CONTAINER, f"fleet-{device}-container")
    assert container.property_dependencies["image"] == [_images(plan, device)[version.image].urn]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("restart", "unless-stopped"),
        ("readOnly", True),
        ("privileged", False),
        ("user", "10001:10001"),
        ("capabilities", {"drops": ["ALL"]}),
        ("securityOpts", ["no-new-privileges:true"]),
        ("tmpfs", {"/tmp": "rw,noexec,nosuid,nodev,size=128m"}),
        ("memory", 4096),
        ("memorySwap", 4096),
        ("cpus", "2.5"),
        ("logDriver", "json-file"),
        ("logOpts", {"max-size": "20m", "max-file": "3"}),
        ("name", "inference"),
        ("wait", True),
    ],
)
def test_container_is_hardened(plan: PlanResult, key: str, expected: object) -> None:
    assert _container(plan, "gpu")[key] == expected


def test_container_adds_no_capability(plan: PlanResult) -> None:
    assert "adds" not in _container(plan, "gpu")["capabilities"]


def test_container_publishes_ports_on_the_serving_address_only(plan: PlanResult) -> None:
    ports = _container(plan, "gpu")["ports"]
    assert ports == [
        {"internal": 8000, "external": 8000, "ip": "10.1.0.10", "protocol": "tcp"},
        {"internal": 8001, "external": 8001, "ip": "10.1.0.10", "protocol": "tcp"},
    ]


def test_container_healthcheck_probes_readiness_on_the_serving_port(plan: PlanResult) -> None:
    check = _container(plan, "gpu")["healthcheck"]
    assert check["tests"][0] == "CMD"
    assert check["tests"][-1] == "http://127.0.0.1:8000/v2/health/ready"
    assert (check["interval"], check["startPeriod"], check["retries"]) == ("10s", "300s", 3)


def test_container_is_replaced_delete_first(plan: PlanResult) -> None:
    # Fixed container name and host ports: a second copy could not start beside the first.
    assert _child(plan, CONTAINER, "fleet-gpu-container").delete_before_replace is True


def test_nvidia_device_requests_all_gpus(plan: PlanResult) -> None:
    container = _container(plan, "gpu")
    assert container["gpus"] == "all"
    assert "runtime" not in container


def test_jetson_device_uses_the_nvidia_runtime(plan: PlanResult) -> None:
    container = _container(plan, "jetson")
    assert container["runtime"] == "nvidia"
    assert "gpus" not in container


def test_device_without_gpu_gets_no_gpu_request(plan: PlanResult) -> None:
    container = _container(plan, "cpu")
    assert not {"gpus", "runtime", "deviceRequests", "devices"} & set(container)


def test_container_labels_carry_version_site_zone_and_wave(plan: PlanResult) -> None:
    labels = _labels(plan, "canary")
    assert labels == {
        **SHARED_LABELS,
        "app.kubernetes.io/version": "1.0.0",
        IMAGE_LABEL: CANDIDATE_VERSION.image,
        "residency-zone": "us-site-a",
        SITE_LABEL: "site-a",
        WAVE_LABEL: "2",
    }


def test_container_labels_name_no_track(plan: PlanResult) -> None:
    # Finalising a promotion (candidate becomes stable) must not change, and so replace, containers.
    assert not any("track" in key for key in _labels(plan, "canary"))
