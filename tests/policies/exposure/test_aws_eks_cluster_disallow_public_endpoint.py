"""aws-eks-cluster-disallow-public-endpoint."""

from __future__ import annotations

import pytest
from guardrails.exposure.aws_eks_cluster_disallow_public_endpoint import POLICY

from tests.policies.harness import DELETE, UNKNOWN, analyze, patched

TYPE = "aws:eks/cluster:Cluster"
COMPLIANT = {"vpcConfig": {"subnetIds": [UNKNOWN], "endpointPrivateAccess": True, "endpointPublicAccess": False}}
ALLOW = {"allowPublicEndpoint": True}


def test_private_endpoint_passes() -> None:
    assert analyze(POLICY, TYPE, COMPLIANT).passed


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("vpcConfig.endpointPublicAccess", True, "has a public API endpoint"),
        # AWS makes the endpoint public when the flag is not set.
        ("vpcConfig.endpointPublicAccess", DELETE, "has a public API endpoint"),
        ("vpcConfig.endpointPrivateAccess", False, "does not set vpcConfig.endpointPrivateAccess: true"),
    ],
)
def test_each_gap_violates(path: str, value: object, fragment: str) -> None:
    result = analyze(POLICY, TYPE, patched(COMPLIANT, path, value))
    assert result.has(fragment), result.messages
    assert result.violations[0].level == "mandatory"


def test_missing_vpc_config_reports_both_gaps() -> None:
    assert len(analyze(POLICY, TYPE, {}).violations) == 2


def test_profile_allowing_public_endpoint_requires_an_allow_list() -> None:
    public = patched(COMPLIANT, "vpcConfig.endpointPublicAccess", True)
    assert analyze(POLICY, TYPE, public, config=ALLOW).has("without publicAccessCidrs")
    open_to_all = patched(public, "vpcConfig.publicAccessCidrs", ["0.0.0.0/0"])
    assert analyze(POLICY, TYPE, open_to_all, config=ALLOW).has("opens its public API endpoint to the internet")
    restricted = patched(public, "vpcConfig.publicAccessCidrs", ["203.0.113.0/24"])
    assert analyze(POLICY, TYPE, restricted, config=ALLOW).passed


def test_unknown_public_flag_is_undecided_then_blocks_when_known() -> None:
    preview = analyze(POLICY, TYPE, patched(COMPLIANT, "vpcConfig.endpointPublicAccess", UNKNOWN))
    assert not preview.violations and len(preview.undecided) == 1
    update = analyze(POLICY, TYPE, patched(COMPLIANT, "vpcConfig.endpointPublicAccess", True))
    assert [d.level for d in update.violations] == ["mandatory"]
