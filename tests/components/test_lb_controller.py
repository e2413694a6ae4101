"""AWS Load Balancer Controller block: pinned chart, its own IRSA role, the published policy per partition."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest
from component_harness import TAGS, named, plan_block

from components.lb_controller import (
    CHART_VERSION,
    SERVICE_ACCOUNT,
    LoadBalancerController,
    LoadBalancerControllerArgs,
    controller_policy,
    image_values,
)
from preflight.engine import PlanResult

RELEASE = "kubernetes:helm.sh/v3:Release"
REPOSITORY = "111122223333.dkr.ecr.us-gov-west-1.amazonaws.com/mirror/aws-load-balancer-controller"
IMAGE = f"{REPOSITORY}:v2.7.2@sha256:" + "d" * 64


def _args(**overrides: object) -> LoadBalancerControllerArgs:
    values: dict[str, object] = {
        "cluster_name": "inference-platform-test",
        "region": "us-gov-west-1",
        "vpc_id": "vpc-0123456789abcdef0",
        "oidc_provider_arn": "arn:aws-us-gov:iam::111122223333:oidc-provider/oidc.eks.us-gov-west-1.amazonaws.com/id/A",
        "oidc_issuer": "oidc.eks.us-gov-west-1.amazonaws.com/id/A",
        "tags": TAGS,
    }
    values.update(overrides)
    return LoadBalancerControllerArgs(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        cluster = k8s.Provider("cluster", kubeconfig="{}")
        opts = pulumi.ResourceOptions(providers=[cluster])
        LoadBalancerController("lbc", _args(image=IMAGE, env={"AWS_USE_FIPS_ENDPOINT": "true"}), opts)
        LoadBalancerController("plain", _args(), opts)

    return plan_block(build, config={"aws:region": "us-gov-west-1"})


def test_chart_is_pinned_in_kube_system(plan: PlanResult) -> None:
    release = named(plan, RELEASE, "lbc-release").inputs
    assert (release["chart"], release["version"], release["namespace"]) == (
        "aws-load-balancer-controller",
        CHART_VERSION,
        "kube-system",
    )
    assert release["repositoryOpts"]["repo"] == "https://aws.github.io/eks-charts"


def test_values_name_the_cluster_region_and_vpc(plan: PlanResult) -> None:
    values = named(plan, RELEASE, "lbc-release").inputs["values"]
    assert (values["clusterName"], values["region"], values["vpcId"]) == (
        "inference-platform-test",
        "us-gov-west-1",
        "vpc-0123456789abcdef0",
    )


def test_waf_and_shield_stay_off_by_default(plan: PlanResult) -> None:
    values = named(plan, RELEASE, "lbc-release").inputs["values"]
    assert (values["enableShield"], values["enableWaf"], values["enableWafv2"]) == (False, False, False)


def test_runs_on_the_system_pool(plan: PlanResult) -> None:
    assert named(plan, RELEASE, "lbc-release").inputs["values"]["nodeSelector"] == {"inference.platform/pool": "system"}


def test_image_and_environment_are_passed_through(plan: PlanResult) -> None:
    values = named(plan, RELEASE, "lbc-release").inputs["values"]
    assert values["image"] == {"repository": REPOSITORY, "tag": "v2.7.2@sha256:" + "d" * 64}
    assert values["env"] == {"AWS_USE_FIPS_ENDPOINT": "true"}
    plain = named(plan, RELEASE, "plain-release").inputs["values"]
    assert "image" not in plain
    assert "env" not in plain


def test_service_account_assumes_the_irsa_role(plan: PlanResult) -> None:
    account = named(plan, RELEASE, "lbc-release").inputs["values"]["serviceAccount"]
    assert (account["create"], account["name"]) == (True, SERVICE_ACCOUNT)
    role = named(plan, "aws:iam/role:Role", "lbc-role-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert (
        condition["oidc.eks.us-gov-west-1.amazonaws.com/id/A:sub"]
        == f"system:serviceaccount:kube-system:{SERVICE_ACCOUNT}"
    )


def test_policy_uses_the_partition_of_the_region(plan: PlanResult) -> None:
    policy = json.loads(named(plan, "aws:iam/rolePolicy:RolePolicy", "lbc-policy").inputs["policy"])
    arns = [
        arn
        for statement in policy["Statement"]
        for arn in ([statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"])
        if arn != "*"
    ]
    assert arns
    assert all(arn.startswith("arn:aws-us-gov:") for arn in arns)


def test_policy_lets_the_controller_register_targets_in_groups_it_did_not_create() -> None:
    policy = json.loads(controller_policy("aws"))
    register = [s for s in policy["Statement"] if "elasticloadbalancing:RegisterTargets" in s["Action"]]
    assert register == [
        {
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
        }
    ]


def test_load_balancer_creation_requires_the_cluster_tag() -> None:
    policy = json.loads(controller_policy("aws"))
    create = next(s for s in policy["Statement"] if "elasticloadbalancing:CreateLoadBalancer" in s["Action"])
    assert create["Condition"] == {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}


def test_image_without_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="pinned by digest"):
        image_values("public.ecr.aws/eks/aws-load-balancer-controller:v2.7.2")


def test_image_without_tag_uses_the_charts_app_version() -> None:
    assert image_values("registry.example/lbc@sha256:" + "e" * 64)["tag"] == "v2.7.2@sha256:" + "e" * 64
