"""CloudWatch alarms: an encrypted topic, node-group, load-balancer and archive alarms with thresholds from config."""

from __future__ import annotations

import json
from datetime import date

import pulumi
import pytest
from component_harness import TAGS, plan_block

from components.cloud_alarms import (
    ALARM_KINDS,
    AUDIT_ARCHIVE_STALE,
    LOAD_BALANCER_5XX_HIGH,
    LOAD_BALANCER_LATENCY_HIGH,
    LOAD_BALANCER_NO_HEALTHY_TARGETS,
    NODE_STATUS_CHECK_FAILED,
    ApplicationLoadBalancerTarget,
    CloudAlarms,
    CloudAlarmsArgs,
    NetworkLoadBalancerTarget,
    NodeGroupTarget,
    arn_suffix,
    controller_alb_arn_suffix,
)
from components.config.models import HypercareConfig, MonitoringConfig
from components.monitoring import effective_thresholds
from preflight.engine import PlanResult, RecordedResource, is_unknown

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"
THRESHOLDS = effective_thresholds(MonitoringConfig(), date(2026, 1, 1))
NLB_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/platform-nlb/50dc6c495c0c9188"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/platform-https/73e2d6bc24d8a067"


def _args(**overrides: object) -> CloudAlarmsArgs:
    settings: dict = {
        "alarm_prefix": "inference-platform-prod",
        "region": "us-east-1",
        "tags": TAGS,
        "thresholds": THRESHOLDS,
        "node_groups": [NodeGroupTarget("gpu-a10g", "eks-gpu-a10g-asg")],
        "application_load_balancers": [ApplicationLoadBalancerTarget("inference", "app/k8s-inference/0123abcd")],
        "network_load_balancers": [
            NetworkLoadBalancerTarget("nlb", arn_suffix(NLB_ARN), {"https": arn_suffix(TG_ARN)})
        ],
        "delivery_streams": {"eks-control-plane": "audit-eks-control-plane-1a2b"},
    }
    settings.update(overrides)
    return CloudAlarmsArgs(**settings)


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    return plan_block(lambda: CloudAlarms("alarms", _args()))


def _alarm(plan: PlanResult, kind: str) -> RecordedResource:
    (found,) = [res for res in plan.by_type(ALARM) if f"-{kind}-" in res.name]
    return found


def test_arn_suffix_is_the_cloudwatch_dimension() -> None:
    assert arn_suffix(NLB_ARN) == "net/platform-nlb/50dc6c495c0c9188"
    assert arn_suffix(TG_ARN) == "targetgroup/platform-https/73e2d6bc24d8a067"


def test_topic_is_encrypted_with_its_own_rotating_key(plan: PlanResult) -> None:
    topic = plan.one(TOPIC)
    key = plan.one(KEY)
    assert topic.property_dependencies["kmsMasterKeyId"] == [key.urn]
    assert key.inputs["enableKeyRotation"] is True
    assert (key.protect, key.retain_on_delete) == (True, True)


def test_key_lets_cloudwatch_and_auto_scaling_publish_to_the_encrypted_topic(plan: PlanResult) -> None:
    statements = {s["Sid"]: s for s in json.loads(plan.one(KEY).inputs["policy"])["Statement"]}
    assert statements["AllowCloudWatchAlarms"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statements["AllowAutoScalingNotifications"]["Condition"]["StringEquals"]["aws:PrincipalArn"].endswith(
        "/AWSServiceRoleForAutoScaling"
    )


def test_topic_accepts_this_accounts_alarms_over_tls_only(plan: PlanResult) -> None:
    policy = json.loads(plan.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["AllowCloudWatchAlarms"]["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["AllowCloudWatchAlarms"]["Resource"] == (
        "arn:aws:sns:us-east-1:111122223333:inference-platform-prod-alarms"
    )


def test_every_alarm_notifies_the_topic_and_names_its_runbook_section(plan: PlanResult) -> None:
    topic = plan.one(TOPIC).urn
    alarms = plan.by_type(ALARM)
    assert alarms, "no alarm in the plan"
    for alarm in alarms:
        assert alarm.property_dependencies["alarmActions"] == [topic]
        kind = next(kind for kind in ALARM_KINDS if f"-{kind}-" in alarm.name)
        assert alarm.inputs["alarmDescription"].endswith(f"Runbook: docs/runbook.md#{kind.lower()}")


def test_node_group_health_is_the_status_checks_of_its_auto_scaling_group(plan: PlanResult) -> None:
    alarm = _alarm(plan, NODE_STATUS_CHECK_FAILED).inputs
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/EC2", "StatusCheckFailed")
    assert alarm["dimensions"] == {"AutoScalingGroupName": "eks-gpu-a10g-asg"}
    assert alarm["name"] == "inference-platform-prod-NodeGroupStatusCheckFailed-gpu-a10g"


def test_node_group_launch_and_terminate_errors_go_to_the_topic(plan: PlanResult) -> None:
    notification = plan.one("aws:autoscaling/notification:Notification").inputs
    assert notification["groupNames"] == ["eks-gpu-a10g-asg"]
    assert sorted(notification["notifications"]) == [
        "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
        "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    ]


def test_load_balancer_5xx_rate_is_metric_math_over_its_requests(plan: PlanResult) -> None:
    alarm = _alarm(plan, LOAD_BALANCER_5XX_HIGH).inputs
    queries = {query["id"]: query for query in alarm["metricQueries"]}
    assert queries["errors"]["expression"] == "100 * (FILL(targets, 0) + FILL(balancer, 0)) / requests"
    assert queries["targets"]["metric"]["metricName"] == "HTTPCode_Target_5XX_Count"
    assert queries["requests"]["metric"]["dimensions"] == {"LoadBalancer": "app/k8s-inference/0123abcd"}
    assert [query_id for query_id, query in queries.items() if query["returnData"]] == ["errors"]
    assert alarm["threshold"] == 2.0


def test_load_balancer_latency_is_the_p95_target_response_time_in_seconds(plan: PlanResult) -> None:
    alarm = _alarm(plan, LOAD_BALANCER_LATENCY_HIGH).inputs
    assert (alarm["metricName"], alarm["extendedStatistic"]) == ("TargetResponseTime", "p95")
    assert alarm["threshold"] == 1.0


def test_network_load_balancer_alarms_when_a_listener_has_no_healthy_target(plan: PlanResult) -> None:
    alarm = _alarm(plan, LOAD_BALANCER_NO_HEALTHY_TARGETS).inputs
    assert alarm["dimensions"] == {
        "LoadBalancer": "net/platform-nlb/50dc6c495c0c9188",
        "TargetGroup": "targetgroup/platform-https/73e2d6bc24d8a067",
    }
    assert (alarm["comparisonOperator"], alarm["threshold"], alarm["treatMissingData"]) == (
        "LessThanThreshold",
        1,
        "breaching",
    )


def test_audit_archive_alarms_when_deliveries_fall_behind(plan: PlanResult) -> None:
    alarm = _alarm(plan, AUDIT_ARCHIVE_STALE).inputs
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Firehose", "DeliveryToS3.DataFreshness")
    assert alarm["dimensions"] == {"DeliveryStreamName": "audit-eks-control-plane-1a2b"}
    assert alarm["threshold"] == 900


def test_hypercare_thresholds_reach_the_alarms() -> None:
    tight = effective_thresholds(
        MonitoringConfig(hypercare=HypercareConfig(start_date=date(2026, 1, 1), tighten_factor=0.5)),
        date(2026, 1, 2),
    )
    plan = plan_block(lambda: CloudAlarms("alarms", _args(thresholds=tight)))
    assert _alarm(plan, LOAD_BALANCER_LATENCY_HIGH).inputs["threshold"] == 0.5
    assert _alarm(plan, LOAD_BALANCER_5XX_HIGH).inputs["threshold"] == 1.0


def test_controller_made_alb_is_unknown_until_its_ingress_exists() -> None:
    """At the first preview the service does not exist: the lookup is not run, the dimension is unknown."""

    def program() -> None:
        service = pulumi.CustomResource("test:index:Service", "svc", {})
        suffix = controller_alb_arn_suffix("prod-eks", "inference-inference", created_by=[service], parent=service)
        CloudAlarms("alarms", _args(application_load_balancers=[ApplicationLoadBalancerTarget("inference", suffix)]))

    plan = plan_block(program)
    assert is_unknown(_alarm(plan, LOAD_BALANCER_LATENCY_HIGH).inputs["dimensions"]["LoadBalancer"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"alarm_prefix": "bad prefix!"}, "alarm_prefix"), ({"node_groups": []}, "node_groups")],
)
def test_bad_args_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _args(**overrides)
