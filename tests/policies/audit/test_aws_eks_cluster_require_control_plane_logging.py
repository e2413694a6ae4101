"""aws-eks-cluster-require-control-plane-logging."""

from __future__ import annotations

from guardrails.audit.aws_eks_cluster_require_control_plane_logging import POLICY

from tests.policies.harness import analyze

TYPE = "aws:eks/cluster:Cluster"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def test_all_logs_pass() -> None:
    assert analyze(POLICY, TYPE, {"enabledClusterLogTypes": ALL_LOGS}).passed


def test_missing_audit_log_violates() -> None:
    result = analyze(POLICY, TYPE, {"enabledClusterLogTypes": ["api", "authenticator"]})
    assert result.has("does not enable control-plane log types ['audit']")


def test_no_logs_violates_without_crashing() -> None:
    assert analyze(POLICY, TYPE, {}).has("['api', 'audit', 'authenticator']")


def test_required_types_are_configurable() -> None:
    config = {"requiredLogTypes": ["api", "audit", "authenticator", "scheduler"]}
    assert analyze(POLICY, TYPE, {"enabledClusterLogTypes": ["api", "audit", "authenticator"]}, config=config).has(
        "['scheduler']"
    )
