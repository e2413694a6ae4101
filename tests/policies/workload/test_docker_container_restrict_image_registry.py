"""docker-container-restrict-image-registry (stack policy)."""

from __future__ import annotations

from guardrails.workload.docker_container_restrict_image_registry import POLICY

from tests.policies.harness import DIGEST, UNKNOWN, Res, analyze_stack, docker_container

REMOTE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"
EDGE_REGISTRY = f"registry.edge.example.internal:5000/inference/triage:0.9.4@{DIGEST}"
SITES = {"allowedRegistries": ["nvcr.io", "registry.*.example.internal:5000"]}


def _device(image_name: str) -> list[Res]:
    return [
        Res(REMOTE, "edge01-image", {"name": image_name}),
        Res(CONTAINER, "edge01-container", {**docker_container(), "image": UNKNOWN}, {"image": ["edge01-image"]}),
    ]


def test_site_registry_allowed_by_pattern_passes() -> None:
    assert analyze_stack(POLICY, _device(EDGE_REGISTRY), config=SITES).passed


def test_default_registries_reject_the_site_registry() -> None:
    result = analyze_stack(POLICY, _device(EDGE_REGISTRY))
    assert result.has("comes from registry 'registry.edge.example.internal:5000'")


def test_docker_hub_image_violates() -> None:
    assert analyze_stack(POLICY, _device(f"library/busybox@{DIGEST}"), config=SITES).has("registry 'docker.io'")


def test_remote_image_without_name_violates() -> None:
    assert analyze_stack(POLICY, [Res(REMOTE, "x", {})], config=SITES).has("remote image 'x' has no image")
