"""guardrails._docker: the image references a stack's Docker resources pull."""

from __future__ import annotations

from dataclasses import dataclass

from guardrails._base import Pending
from guardrails._docker import CONTAINER_TYPE, REMOTE_IMAGE_TYPE, image_uses
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions

from tests.policies.harness import DIGEST

IMAGE_ID = "sha256:" + "a" * 64  # a RemoteImage's content ID, what a linked container's image resolves to


@dataclass
class _Lookups:
    count: int = 0


class _Counted(PolicyResource):
    """A stack resource counting reads of its URN: every join by URN reads it."""

    def __init__(self, lookups: _Lookups, type_: str, name: str, props: dict[str, object], image: _Counted | None):
        self._lookups = lookups
        deps: list[PolicyResource] = [image] if image is not None else []
        options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
        super().__init__(type_, props, f"urn:{type_}::{name}", name, options, None, None, deps, {"image": deps})

    @property
    def urn(self) -> str:
        self._lookups.count += 1
        return self._urn

    @urn.setter
    def urn(self, value: str) -> None:
        self._urn = value


def _fleet(lookups: _Lookups, devices: int) -> list[PolicyResource]:
    """Per device a RemoteImage and a container; even devices' containers run the RemoteImage (its content ID)."""
    resources: list[PolicyResource] = []
    for i in range(devices):
        remote = _Counted(lookups, REMOTE_IMAGE_TYPE, f"dev{i}-image", {"name": f"r.example:5000/m:{i}@{DIGEST}"}, None)
        if i % 2 == 0:
            container = _Counted(lookups, CONTAINER_TYPE, f"dev{i}", {"name": f"dev{i}", "image": IMAGE_ID}, remote)
        else:
            container = _Counted(lookups, CONTAINER_TYPE, f"dev{i}", {"name": f"dev{i}", "image": "busybox"}, None)
        resources += [remote, container]
    return resources


def test_containers_join_their_remote_images_in_linear_lookups() -> None:
    lookups = _Lookups()
    resources = _fleet(lookups, 2_000)
    lookups.count = 0
    uses = image_uses(resources, Pending())
    # One scan of every RemoteImage per container would be 2,000 x 2,000 lookups.
    assert lookups.count <= 2 * len(resources)
    assert [use.what for use in uses[:2]] == ["remote image 'dev0-image'", "remote image 'dev1-image'"]
    # Linked containers are decided through their RemoteImage; unlinked ones by their own image.
    assert [(use.what, use.reference) for use in uses[2_000:2_002]] == [
        ("container 'dev1'", "busybox"),
        ("container 'dev3'", "busybox"),
    ]
    assert len(uses) == 2_000 + 1_000
