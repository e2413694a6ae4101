"""docker-container-require-non-root."""

from __future__ import annotations

import pytest
from guardrails.workload.docker_container_require_non_root import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


@pytest.mark.parametrize("user", ["1000:1000", "1000", "triton"])
def test_non_root_users_pass(user: str) -> None:
    assert analyze(POLICY, TYPE, {**docker_container(), "user": user}).passed


@pytest.mark.parametrize("user", ["0", "root", "0:0", "root:root"])
def test_root_violates(user: str) -> None:
    assert analyze(POLICY, TYPE, {**docker_container(), "user": user}).has(f"runs as root (user {user!r})")


def test_missing_user_violates() -> None:
    props = {key: value for key, value in docker_container().items() if key != "user"}
    assert analyze(POLICY, TYPE, props).has("sets no user")
