"""kubernetes-pod-restrict-image-registry."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_pod_restrict_image_registry import POLICY

from tests.policies.harness import DEPLOYMENT, DIGEST, UNKNOWN, analyze, deployment, patched

IMAGE = "spec.template.spec.containers.0.image"
SITE = "registry.site-a.example.internal:5000"


@pytest.mark.parametrize(
    "image",
    [
        f"nvcr.io/nvidia/tritonserver@{DIGEST}",
        f"111122223333.dkr.ecr.us-east-2.amazonaws.com/inference/triton@{DIGEST}",
    ],
)
def test_default_registries_pass(image: str) -> None:
    assert analyze(POLICY, DEPLOYMENT, patched(deployment(), IMAGE, image)).passed


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        (f"docker.io/library/nginx@{DIGEST}", "docker.io"),
        (f"nginx@{DIGEST}", "docker.io"),
        (f"ghcr.io/x/y@{DIGEST}", "ghcr.io"),
    ],
)
def test_other_registries_violate(image: str, registry: str) -> None:
    assert analyze(POLICY, DEPLOYMENT, patched(deployment(), IMAGE, image)).has(f"comes from registry {registry!r}")


def test_site_registry_pattern_in_profile_changes_the_verdict() -> None:
    props = patched(deployment(), IMAGE, f"{SITE}/inference/triton@{DIGEST}")
    assert analyze(POLICY, DEPLOYMENT, props).has(SITE)
    assert analyze(POLICY, DEPLOYMENT, props, config={"allowedRegistries": ["registry.*.example.internal:5000"]}).passed


def test_computed_image_is_undecided() -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), IMAGE, UNKNOWN))
    assert not result.violations and len(result.undecided) == 1
