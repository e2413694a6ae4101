"""AWS Load Balancer Controller: pinned chart, IRSA role, and an IAM policy that reaches only this cluster's LBs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from component_harness import plan_block

from components.aws_load_balancer_controller import (
    CHART_REPOSITORY,
    CHART_VERSION,
    DESCRIBE_ACTIONS,
    LoadBalancerController,
    LoadBalancerControllerArgs,
    PolicyScope,
    controller_policy,
)
from preflight.engine import PlanResult

RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SCOPE = PolicyScope(
    partition="aws", region="us-east-2", account_id="111122223333", cluster_name="prod-eks", vpc_id="vpc-0abc"
)
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-2:111122223333:targetgroup/nlb-https/0123456789abcdef"


def _statements(scope: PolicyScope = SCOPE) -> list[dict[str, Any]]:
    return list(json.loads(controller_policy(scope))["Statement"])


def _granting(action: str, scope: PolicyScope = SCOPE) -> list[dict[str, Any]]:
    return [statement for statement in _statements(scope) if action in statement["Action"]]


def _actions(scope: PolicyScope = SCOPE) -> set[str]:
    return {action for statement in _statements(scope) for action in statement["Action"]}


# -- the policy ------------------------------------------------------------------------------------


def test_only_describe_and_listing_calls_use_a_wildcard_resource() -> None:
    for statement in _statements(PolicyScope(**{**SCOPE.__dict__, "wafv2": True})):
        if statement["Resource"] == "*":
            assert set(statement["Action"]) <= {*DESCRIBE_ACTIONS, "wafv2:ListWebACLs"}, statement


def test_every_resource_arn_is_in_this_partition_region_and_account() -> None:
    for statement in _statements():
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            if resource == "*" or resource.startswith("arn:aws:iam::111122223333:"):
                continue
            assert resource.startswith("arn:aws:") and ":us-east-2:111122223333:" in resource, resource


@pytest.mark.parametrize(
    "action", ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]
)
def test_creating_requires_the_cluster_tag_with_this_clusters_name(action: str) -> None:
    (statement,) = _granting(action)
    assert statement["Condition"] == {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": "prod-eks"}}


@pytest.mark.parametrize(
    "action",
    ["elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup", "ec2:DeleteSecurityGroup"],
)
def test_changing_or_deleting_requires_the_resource_to_belong_to_this_cluster(action: str) -> None:
    (statement,) = _granting(action)
    assert statement["Condition"]["StringEquals"] == {"aws:ResourceTag/elbv2.k8s.aws/cluster": "prod-eks"}


def test_security_group_rules_change_only_in_this_vpc() -> None:
    (statement,) = _granting("ec2:AuthorizeSecurityGroupIngress")
    assert statement["Condition"] == {"StringEquals": {"ec2:Vpc": "arn:aws:ec2:us-east-2:111122223333:vpc/vpc-0abc"}}
    assert statement["Resource"] == "arn:aws:ec2:us-east-2:111122223333:security-group/*"


def test_retagging_cannot_move_a_security_group_to_another_cluster() -> None:
    (statement,) = _granting("ec2:DeleteTags")
    assert statement["Condition"]["Null"] == {"aws:RequestTag/elbv2.k8s.aws/cluster": "true"}


def test_integrations_this_project_does_not_use_are_not_granted() -> None:
    actions = _actions(PolicyScope(**{**SCOPE.__dict__, "wafv2": True}))
    assert not {a for a in actions if a.split(":")[0] in ("shield", "waf-regional", "cognito-idp", "acm")}
    assert "iam:GetServerCertificate" not in actions


def test_wafv2_is_granted_only_when_asked() -> None:
    assert not {a for a in _actions() if a.startswith("wafv2:")}
    with_waf = PolicyScope(**{**SCOPE.__dict__, "wafv2": True})
    (associate,) = _granting("wafv2:AssociateWebACL", with_waf)
    assert "arn:aws:wafv2:us-east-2:111122223333:regional/webacl/*/*" in associate["Resource"]


def test_binding_only_controller_can_create_and_delete_nothing() -> None:
    scope = PolicyScope(**{**SCOPE.__dict__, "manage_load_balancers": False, "target_group_arns": [TARGET_GROUP]})
    actions = _actions(scope)
    assert not {a for a in actions if ":Create" in a or ":Delete" in a}
    (register,) = _granting("elasticloadbalancing:RegisterTargets", scope)
    assert register["Resource"] == [TARGET_GROUP]


def test_owned_target_groups_are_named_besides_the_controllers_tagged_ones() -> None:
    scope = PolicyScope(**{**SCOPE.__dict__, "target_group_arns": [TARGET_GROUP]})
    conditions = [statement.get("Condition") for statement in _granting("elasticloadbalancing:RegisterTargets", scope)]
    assert conditions == [None, {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "prod-eks"}}]


def test_govcloud_arns_use_the_govcloud_partition() -> None:
    scope = PolicyScope(**{**SCOPE.__dict__, "partition": "aws-us-gov", "region": "us-gov-west-1"})
    (statement,) = _granting("ec2:DeleteSecurityGroup", scope)
    assert statement["Resource"] == "arn:aws-us-gov:ec2:us-gov-west-1:111122223333:security-group/*"


# -- the block -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return plan_block(
        lambda: LoadBalancerController(
            "lbc",
            LoadBalancerControllerArgs(
                cluster_name="prod-eks",
                region="us-east-1",
                vpc_id="vpc-0abc",
                oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
                oidc_issuer="oidc.eks.us-east-1.amazonaws.com/id/ABC",
                tags={"owner": "ml"},
                enable_wafv2=True,
            ),
        )
    )


def test_chart_is_pinned_from_the_eks_charts_repository(plan: PlanResult) -> None:
    release = plan.one(RELEASE).inputs
    assert (release["chart"], release["version"]) == ("aws-load-balancer-controller", CHART_VERSION)
    assert release["repositoryOpts"] == {"repo": CHART_REPOSITORY}
    assert release["namespace"] == "kube-system"


def test_values_name_the_cluster_vpc_and_region(plan: PlanResult) -> None:
    values = plan.one(RELEASE).inputs["values"]
    assert (values["clusterName"], values["vpcId"], values["region"]) == ("prod-eks", "vpc-0abc", "us-east-1")


def test_only_the_integrations_the_policy_grants_are_on(plan: PlanResult) -> None:
    values = plan.one(RELEASE).inputs["values"]
    assert (values["enableShield"], values["enableWaf"], values["enableWafv2"]) == (False, False, True)
    assert values["enableServiceMutatorWebhook"] is False


def test_controller_runs_on_the_system_pool(plan: PlanResult) -> None:
    assert plan.one(RELEASE).inputs["values"]["nodeSelector"] == {"inference.platform/pool": "system"}


def test_only_the_controllers_service_account_can_assume_its_role(plan: PlanResult) -> None:
    trust = json.loads(plan.one(ROLE).inputs["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert condition["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == (
        "system:serviceaccount:kube-system:aws-load-balancer-controller"
    )


def test_role_policy_is_the_scoped_policy_for_this_cluster(plan: PlanResult) -> None:
    policy = plan.one(ROLE_POLICY).inputs["policy"]
    assert policy == controller_policy(
        PolicyScope(
            partition="aws",
            region="us-east-1",
            account_id="111122223333",
            cluster_name="prod-eks",
            vpc_id="vpc-0abc",
            wafv2=True,
        )
    )


def test_an_image_without_a_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="pinned by digest"):
        LoadBalancerControllerArgs(
            cluster_name="c",
            region="us-east-1",
            vpc_id="vpc-1",
            oidc_provider_arn="arn",
            oidc_issuer="issuer",
            tags={},
            image="public.ecr.aws/eks/aws-load-balancer-controller:v2.17.1",
        )


def test_waf_without_managing_load_balancers_is_refused() -> None:
    with pytest.raises(ValueError, match="enable_wafv2"):
        LoadBalancerControllerArgs(
            cluster_name="c",
            region="us-east-1",
            vpc_id="vpc-1",
            oidc_provider_arn="arn",
            oidc_issuer="issuer",
            tags={},
            enable_wafv2=True,
            manage_load_balancers=False,
        )
