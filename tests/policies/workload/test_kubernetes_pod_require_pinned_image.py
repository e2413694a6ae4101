"""kubernetes-pod-require-pinned-image (needs computed values when the image is built in the same update)."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_pod_require_pinned_image import POLICY, SPEC

from tests.policies.harness import DEPLOYMENT, DIGEST, UNKNOWN, analyze, deployment, patched

IMAGE = "spec.template.spec.containers.0.image"


def test_digest_pinned_image_passes() -> None:
    assert analyze(POLICY, DEPLOYMENT, deployment()).passed


@pytest.mark.parametrize(
    "image",
    ["nvcr.io/nvidia/tritonserver:24.08-py3", "nvcr.io/nvidia/tritonserver@sha256:abc", "tritonserver:latest"],
)
def test_unpinned_image_violates(image: str) -> None:
    result = analyze(POLICY, DEPLOYMENT, patched(deployment(), IMAGE, image))
    assert result.has(f"image {image!r} is not pinned by digest")


def test_registry_with_port_and_digest_passes() -> None:
    image = f"registry.site-a.example.internal:5000/inference/triton:24.08@{DIGEST}"
    assert analyze(POLICY, DEPLOYMENT, patched(deployment(), IMAGE, image)).passed


def test_missing_image_violates_without_crashing() -> None:
    props = patched(deployment(), "spec.template.spec.containers.0", {"name": "server"})
    assert analyze(POLICY, DEPLOYMENT, props).has("image None is not pinned")


def test_computed_image_is_undecided_at_preview_and_blocks_when_known() -> None:
    preview = analyze(POLICY, DEPLOYMENT, patched(deployment(), IMAGE, UNKNOWN))
    assert not preview.violations
    assert [d.level for d in preview.undecided] == ["advisory"]
    update = analyze(
        POLICY, DEPLOYMENT, patched(deployment(), IMAGE, "111122223333.dkr.ecr.us-east-2.amazonaws.com/m:1")
    )
    assert [d.level for d in update.violations] == ["mandatory"]


def test_policy_is_marked_as_needing_computed_values() -> None:
    assert SPEC.needs_computed_values
