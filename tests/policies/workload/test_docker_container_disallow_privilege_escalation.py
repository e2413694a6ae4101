"""docker-container-disallow-privilege-escalation."""

from __future__ import annotations

import pytest
from guardrails.workload.docker_container_disallow_privilege_escalation import POLICY

from tests.policies.harness import analyze, docker_container

TYPE = "docker:index/container:Container"


@pytest.mark.parametrize("opt", ["no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"])
def test_no_new_privileges_spellings_pass(opt: str) -> None:
    assert analyze(POLICY, TYPE, {**docker_container(), "securityOpts": [opt]}).passed


@pytest.mark.parametrize("opts", [[], ["no-new-privileges:false"], ["seccomp=default.json"]])
def test_missing_option_violates(opts: list) -> None:
    assert analyze(POLICY, TYPE, {**docker_container(), "securityOpts": opts}).has("does not set no-new-privileges")
