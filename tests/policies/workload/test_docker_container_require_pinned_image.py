"""docker-container-require-pinned-image (stack policy: containers are judged through their RemoteImage)."""

from __future__ import annotations

from guardrails.workload.docker_container_require_pinned_image import POLICY

from tests.policies.harness import DIGEST, PINNED_IMAGE, UNKNOWN, Res, analyze_stack, docker_container

REMOTE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"


def _device(image_name: str, container_image: str = UNKNOWN, *, linked: bool = True) -> list[Res]:
    return [
        Res(REMOTE, "edge01-image", {"name": image_name, "keepLocally": True}),
        Res(
            CONTAINER,
            "edge01-container",
            {**docker_container(), "image": container_image},
            {"image": ["edge01-image"]} if linked else {},
        ),
    ]


def test_pinned_remote_image_decides_the_container_at_preview() -> None:
    assert analyze_stack(POLICY, _device(PINNED_IMAGE)).passed


def test_unpinned_remote_image_violates() -> None:
    result = analyze_stack(POLICY, _device("nvcr.io/nvidia/tritonserver:24.08-py3"))
    assert result.has("remote image 'edge01-image' image 'nvcr.io/nvidia/tritonserver:24.08-py3' is not pinned")
    assert result.violations[0].urn.endswith("::edge01-image")


def test_container_with_literal_tag_violates() -> None:
    result = analyze_stack(POLICY, _device(PINNED_IMAGE, "nvcr.io/nvidia/tritonserver:latest", linked=False))
    assert result.has("container 'edge01-inference' image 'nvcr.io/nvidia/tritonserver:latest' is not pinned")


def test_image_id_of_a_linked_remote_image_passes_after_create() -> None:
    assert analyze_stack(POLICY, _device(PINNED_IMAGE, DIGEST)).passed


def test_computed_image_without_a_source_in_the_stack_is_undecided() -> None:
    result = analyze_stack(POLICY, _device(PINNED_IMAGE, UNKNOWN, linked=False))
    assert not result.violations and len(result.undecided) == 1
