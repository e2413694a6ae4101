"""kubernetes-service-disallow-node-port."""

from __future__ import annotations

from guardrails.exposure.kubernetes_service_disallow_node_port import POLICY

from tests.policies.harness import UNKNOWN, analyze

TYPE = "kubernetes:core/v1:Service"
NODE_PORT = {"metadata": {"name": "ingress", "namespace": "ingress-nginx"}, "spec": {"type": "NodePort"}}


def test_cluster_ip_passes() -> None:
    assert analyze(POLICY, TYPE, {"metadata": {"name": "inference"}, "spec": {"type": "ClusterIP"}}).passed


def test_node_port_violates() -> None:
    assert analyze(POLICY, TYPE, NODE_PORT).has("Service 'ingress' is of type NodePort")


def test_allowed_namespace_changes_the_verdict() -> None:
    assert analyze(POLICY, TYPE, NODE_PORT, config={"allowedNamespaces": ["ingress-nginx"]}).passed


def test_missing_spec_does_not_crash() -> None:
    assert analyze(POLICY, TYPE, {}).passed


def test_computed_namespace_is_read_only_for_node_ports() -> None:
    cluster_ip = {"metadata": {"name": "x", "namespace": UNKNOWN}, "spec": {"type": "ClusterIP"}}
    assert analyze(POLICY, TYPE, cluster_ip).passed
    node_port = {"metadata": {"name": "x", "namespace": UNKNOWN}, "spec": {"type": "NodePort"}}
    assert len(analyze(POLICY, TYPE, node_port).undecided) == 1
