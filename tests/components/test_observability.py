"""Monitoring wired into the models: what each example stack gets from its config."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from component_harness import named, plan_stack

from components.config import validate
from components.monitoring import ALERTS
from components.observability import stack_thresholds
from components.traffic_split import AlbRouter, alb_group_name
from preflight.engine import PlanResult, RecordedResource

RELEASE = "kubernetes:helm.sh/v3:Release"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def _of(plan: PlanResult, token: str, suffix: str) -> list[RecordedResource]:
    return [res for res in plan.by_type(token) if res.name.endswith(suffix)]


# -- thresholds from config ------------------------------------------------------------------------


def _config(monitoring: dict[str, Any]) -> Any:
    raw = {
        "deploymentModel": "edge",
        "environment": "prod",
        "compliance": {"owner": "ml"},
        "inference": {
            "model": {"name": "m", "version": "1"},
            "image": {"reference": "registry.example.internal:5000/m@sha256:" + "a" * 64},
            "ports": {"http": 8000},
        },
        "edge": {
            "devices": [
                {
                    "name": "d1",
                    "host": "ssh://u@h",
                    "servingAddress": "10.0.0.1",
                    "site": "s",
                    "residencyZone": "us",
                }
            ]
        },
        "integration": {"auth": {"mode": "mtls", "clientCaSecret": "ca"}},
        "monitoring": monitoring,
    }
    return validate(raw, "inference-platform")


def test_stack_thresholds_tighten_on_a_plan_date_inside_the_window() -> None:
    config = _config({"hypercare": {"startDate": "2026-06-01", "days": 60, "tightenFactor": 0.5}})
    assert stack_thresholds(config, date(2026, 7, 1)).p95_latency_ms == 500
    assert stack_thresholds(config, date(2026, 8, 1)).p95_latency_ms == 1000


# -- public cloud (prod) ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod() -> PlanResult:
    return plan_stack("prod")


def test_prod_reports_the_thresholds_in_force_and_where_alarms_go(prod: PlanResult) -> None:
    monitoring = prod.outputs["monitoring"]
    assert monitoring["thresholds"]["p95LatencyMs"] == 1000
    assert sorted(monitoring["alertNames"]) == sorted(ALERTS)
    assert monitoring["auditArchive"]["retentionDays"] == 2192


def test_prod_runs_the_dcgm_exporter_on_its_gpu_pools(prod: PlanResult) -> None:
    values = named(prod, RELEASE, "dcgm-exporter-release").inputs["values"]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms[0]["matchExpressions"][0]["values"] == ["nvidia"]
    assert values["serviceMonitor"]["enabled"] is True


def test_prod_installs_the_load_balancer_controller_with_wafv2_for_its_alb(prod: PlanResult) -> None:
    values = named(prod, RELEASE, "lb-controller-release").inputs["values"]
    assert values["enableWafv2"] is True
    assert values["clusterName"] == "inference-platform-prod"


def test_prod_archive_is_locked_in_compliance_mode_for_six_years(prod: PlanResult) -> None:
    assert prod.one(LOCK).inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 2192}


def test_prod_archives_the_control_plane_and_flow_logs(prod: PlanResult) -> None:
    (control_plane,) = _of(prod, FILTER, "-eks-control-plane-subscription")
    assert control_plane.inputs["logGroup"] == "/aws/eks/inference-platform-prod/cluster"
    (flow_logs,) = _of(prod, FILTER, "-vpc-flow-logs-subscription")
    flow_log_group = named(prod, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert flow_logs.property_dependencies["logGroup"] == [flow_log_group.urn]


def test_prod_alarms_cover_the_gpu_pool_the_alb_and_the_archive(prod: PlanResult) -> None:
    names = sorted(alarm.inputs["name"] for alarm in prod.by_type(ALARM))
    assert names == [
        "inference-platform-prod-AuditArchiveDeliveryStale-eks-control-plane",
        "inference-platform-prod-AuditArchiveDeliveryStale-vpc-flow-logs",
        "inference-platform-prod-LoadBalancer5xxRateHigh-inference",
        "inference-platform-prod-LoadBalancerLatencyP95High-inference",
        "inference-platform-prod-NodeGroupStatusCheckFailed-gpu-a10g",
    ]


def test_alb_group_name_is_the_one_the_traffic_split_gives_its_ingresses(prod: PlanResult) -> None:
    router = AlbRouter(certificate_arn="arn", ssl_policy="p")
    (ingress,) = [res for res in prod.by_type(INGRESS) if res.name.endswith("-http-ingress")]
    metadata = ingress.inputs["metadata"]
    expected = alb_group_name(router, namespace=metadata["namespace"], name=metadata["name"])
    assert metadata["annotations"]["alb.ingress.kubernetes.io/group.name"] == expected


def test_prod_monitoring_waits_for_the_service(prod: PlanResult) -> None:
    monitoring = prod.one("inference:monitoring:ServiceMonitoring")
    (deployment,) = _of(prod, "kubernetes:apps/v1:Deployment", "service-stable")
    namespace = prod.one("kubernetes:core/v1:Namespace", "platform-service-ns")
    # Depending on the service block is depending on everything in it (namespace, Deployments).
    assert {deployment.urn, namespace.urn} <= set(monitoring.dependencies)


# -- development: baseline, short retention, an archive that can be cleaned up --------------------


def test_dev_archive_uses_governance_mode_and_the_baseline_minimum() -> None:
    dev = plan_stack("dev")
    assert dev.one(LOCK).inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 90}
    assert not dev.one(LOCK).protect


# -- private cloud ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def private() -> PlanResult:
    return plan_stack("private")


def test_private_runs_the_mirrored_dcgm_exporter(private: PlanResult) -> None:
    image = named(private, RELEASE, "dcgm-exporter-release").inputs["values"]["image"]
    assert image["repository"].startswith("111122223333.dkr.ecr.us-gov-west-1.amazonaws.com/mirror/")
    assert "@sha256:" in image["tag"]


def test_private_controller_may_register_pods_only_in_its_nlbs_target_groups_or_its_own(private: PlanResult) -> None:
    controller = private.one("inference:aws_load_balancer_controller:AwsLoadBalancerController")
    (policy,) = [res for res in private.by_type("aws:iam/rolePolicy:RolePolicy") if res.parent == controller.urn]
    # The NLB's target-group ARNs are computed: the document is settled at `pulumi up`, after the NLB exists.
    target_groups = [res.urn for res in private.by_type("aws:lb/targetGroup:TargetGroup")]
    assert set(target_groups) <= set(policy.dependencies)


def test_private_alarms_when_an_nlb_listener_has_no_healthy_target(private: PlanResult) -> None:
    names = [alarm.inputs["name"] for alarm in private.by_type(ALARM)]
    assert "inference-platform-private-LoadBalancerNoHealthyTargets-nlb-https" in names
    assert "inference-platform-private-LoadBalancerNoHealthyTargets-nlb-grpcs" in names


def test_private_archive_keeps_fedramp_logs_three_years(private: PlanResult) -> None:
    assert private.one(LOCK).inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 1096}


# -- on-prem and hybrid ----------------------------------------------------------------------------


def test_onprem_scrapes_the_gpu_operators_dcgm_exporter(plan_of: Any) -> None:
    values = named(plan_of("onprem"), RELEASE, "gpu-operator-release").inputs["values"]
    assert values["dcgmExporter"]["serviceMonitor"] == {"enabled": True}


def test_onprem_has_rules_but_no_aws_alarms(plan_of: Any) -> None:
    onprem = plan_of("onprem")
    assert onprem.by_type(ALARM) == []
    rule = onprem.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule").inputs
    alerts = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"]}
    assert alerts == set(ALERTS)


def test_hybrid_monitors_each_side_with_its_own_rules(plan_of: Any) -> None:
    hybrid = plan_of("hybrid")
    rules = {
        res.inputs["metadata"]["namespace"]
        for res in hybrid.by_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    }
    assert rules == {"inference-coding-assist", "inference-phi-summarizer"}
    assert hybrid.outputs["onprem"]["monitoring"]["thresholds"]["errorRatePercent"] == 2.0
    assert sorted(hybrid.outputs["cloud"]["monitoring"]["alertNames"]) == sorted(ALERTS)
