"""docker-container-require-seccomp-profile."""

from __future__ import annotations

import pytest
from guardrails.workload.docker_container_require_seccomp_profile import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


def test_default_profile_passes() -> None:
    assert analyze(POLICY, TYPE, docker_container()).passed


@pytest.mark.parametrize("opt", ["seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined"])
def test_unconfined_violates(opt: str) -> None:
    props = {**docker_container(), "securityOpts": ["no-new-privileges:true", opt]}
    assert analyze(POLICY, TYPE, props).has("runs unconfined")
