"""EKS cluster block: private endpoint, KMS secrets, audit logs first, API access entries, IRSA."""

from __future__ import annotations

import json

import pytest
from component_harness import KEY_ARN, TAGS, plan_block

from components.eks_cluster import (
    CONTROL_PLANE_LOG_TYPES,
    EksCluster,
    EksClusterArgs,
    IrsaRole,
    IrsaRoleArgs,
    kubeconfig,
)
from preflight.engine import PlanResult

CLUSTER = "aws:eks/cluster:Cluster"
ADMIN = "arn:aws:iam::111122223333:role/platform-admins"


def _args(**overrides: object) -> EksClusterArgs:
    values: dict[str, object] = {
        "cluster_name": "demo",
        "kubernetes_version": "1.33",
        "region": "us-east-1",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "secrets_key_arn": KEY_ARN,
        "logs_key_arn": KEY_ARN,
        "log_retention_days": 365,
        "admin_role_arns": [ADMIN],
        "tags": TAGS,
    }
    values.update(overrides)
    return EksClusterArgs(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        EksCluster("eks", _args())
        EksCluster(
            "public", _args(cluster_name="demo2", endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24"])
        )
        IrsaRole(
            "reader",
            IrsaRoleArgs(
                oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
                oidc_issuer="oidc.eks.us-east-1.amazonaws.com/id/ABC",
                namespace="inference",
                service_account="server",
                tags=TAGS,
            ),
        )

    return plan_block(build)


def _cluster(plan: PlanResult, name: str = "eks-eks") -> dict:
    return next(res for res in plan.by_type(CLUSTER) if res.name == name).inputs


def test_endpoint_is_private_only_by_default(plan: PlanResult) -> None:
    vpc = _cluster(plan)["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_public_endpoint_is_limited_to_the_allow_list(plan: PlanResult) -> None:
    vpc = _cluster(plan, "public-eks")["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_public_endpoint_without_allow_list_is_refused() -> None:
    with pytest.raises(ValueError, match="public_access_cidrs"):
        _args(endpoint_public_access=True)


def test_secrets_are_envelope_encrypted_with_the_key(plan: PlanResult) -> None:
    assert _cluster(plan)["encryptionConfig"] == {"provider": {"keyArn": KEY_ARN}, "resources": ["secrets"]}


def test_every_control_plane_log_type_is_on(plan: PlanResult) -> None:
    assert _cluster(plan)["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES)
    assert set(CONTROL_PLANE_LOG_TYPES) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}


def test_version_is_pinned_and_authentication_uses_access_entries(plan: PlanResult) -> None:
    cluster = _cluster(plan)
    assert cluster["version"] == "1.33"
    assert cluster["accessConfig"]["authenticationMode"] == "API"


def test_audit_log_group_is_encrypted_retained_and_created_first(plan: PlanResult) -> None:
    group = next(res for res in plan.by_type("aws:cloudwatch/logGroup:LogGroup") if res.name == "eks-logs")
    assert group.inputs["name"] == "/aws/eks/demo/cluster"
    assert group.inputs["kmsKeyId"] == KEY_ARN
    assert group.inputs["retentionInDays"] == 365
    assert (group.protect, group.retain_on_delete) == (True, True)
    cluster = next(res for res in plan.by_type(CLUSTER) if res.name == "eks-eks")
    assert group.urn in cluster.dependencies


def test_deletion_protection_is_on_by_default(plan: PlanResult) -> None:
    assert _cluster(plan)["deletionProtection"] is True


def test_admin_roles_get_access_entries_with_the_cluster_admin_policy(plan: PlanResult) -> None:
    entries = [res for res in plan.by_type("aws:eks/accessEntry:AccessEntry") if res.name.startswith("eks-")]
    assert [entry.inputs["principalArn"] for entry in entries] == [ADMIN]
    association = next(
        res
        for res in plan.by_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if res.name.startswith("eks-")
    )
    assert association.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert association.inputs["accessScope"] == {"type": "cluster"}


def test_network_policies_are_enforced_by_the_vpc_cni(plan: PlanResult) -> None:
    addon = next(res for res in plan.by_type("aws:eks/addon:Addon") if res.name == "eks-vpc-cni").inputs
    assert addon["addonName"] == "vpc-cni"
    assert json.loads(addon["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_oidc_provider_for_irsa(plan: PlanResult) -> None:
    providers = plan.by_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert len(providers) == 2
    assert all(res.inputs["clientIdLists"] == ["sts.amazonaws.com"] for res in providers)


def test_cluster_role_may_use_only_the_secrets_key(plan: PlanResult) -> None:
    policy = next(res for res in plan.by_type("aws:iam/rolePolicy:RolePolicy") if res.name == "eks-role-secrets-key")
    statement = json.loads(policy.inputs["policy"])["Statement"][0]
    assert statement["Resource"] == KEY_ARN
    assert "kms:Decrypt" in statement["Action"]


def test_each_cluster_gets_an_explicit_kubernetes_provider(plan: PlanResult) -> None:
    providers = plan.by_type("pulumi:providers:kubernetes")
    assert sorted(res.name for res in providers) == ["eks-k8s", "public-k8s"]


def test_irsa_trust_is_limited_to_one_service_account(plan: PlanResult) -> None:
    role = next(res for res in plan.by_type("aws:iam/role:Role") if res.name == "reader-role")
    statement = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:inference:server",
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    }


def test_kubeconfig_authenticates_with_short_lived_eks_tokens() -> None:
    config = json.loads(kubeconfig("demo", "https://demo.eks", "Q0E=", "us-east-1"))
    user = config["users"][0]["user"]
    assert "token" not in user
    assert user["exec"]["command"] == "aws"
    assert user["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", "demo"]
    assert config["clusters"][0]["cluster"] == {"server": "https://demo.eks", "certificate-authority-data": "Q0E="}


def test_two_clusters_do_not_collide(plan: PlanResult) -> None:
    urns = [res.urn for res in plan.resources]
    assert len(urns) == len(set(urns))
