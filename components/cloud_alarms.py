"""CloudWatch alarms for the cloud models, sent to an SNS topic encrypted with its own KMS key.

What is alarmed, and how each metric's dimensions are known:

* **node group health** - the GPU node groups' EC2 status checks, aggregated per Auto Scaling
  group (``AWS/EC2 StatusCheckFailed`` with the ``AutoScalingGroupName`` dimension, which EC2
  publishes for instances in a group without extra monitoring). The group name is an output of the
  managed node group. Scale-out failures (no GPU capacity, a bad launch template) have no metric:
  the groups' ``EC2_INSTANCE_LAUNCH_ERROR`` / ``TERMINATE_ERROR`` notifications go to the same topic.
* **the load balancer's 5xx and latency** - the ALB in front of the canary split is made by the AWS
  Load Balancer Controller from an ``Ingress``, so its ARN (and the ``LoadBalancer`` dimension,
  ``app/<name>/<id>``) is not a Pulumi output, and a fixed name would not help (the id is random).
  What *is* known is how the controller tags it: ``elbv2.k8s.aws/cluster=<cluster>`` and
  ``ingress.k8s.aws/stack=<IngressGroup>``. :func:`controller_alb_arn_suffix` looks the ALB up by those
  tags, with the inference service as a dependency: the Kubernetes provider reports an ``Ingress``
  created only once the controller has written the ALB's address into its status, so the ALB exists
  when the lookup runs. On the first preview the lookup is not run (its dependency does not exist
  yet) and the dimension shows as unknown; from the first ``pulumi up`` on it is a plain value.
  ``AWS/ApplicationELB`` then gives ``HTTPCode_Target_5XX_Count``, ``HTTPCode_ELB_5XX_Count``,
  ``RequestCount`` and ``TargetResponseTime`` (p95). A load balancer the program owns (the private
  model's NLB) has its ARN: an NLB forwards TCP and sees no HTTP status or response time, so what
  CloudWatch can say about it is whether any target is healthy (5xx and latency come from the
  Prometheus rules, which see every request).
* **the audit archive** - ``AWS/Firehose DeliveryToS3.DataFreshness`` of each archive stream.

Every alarm's description names its runbook section (docs/runbook.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .common import AwsAccount, child_options, policy_json
from .keys import customer_managed_key, root_administration
from .monitoring import EffectiveThresholds, runbook_anchor

RESOURCE_TYPE = "inference:cloud_alarms:CloudAlarms"

# Alarm kinds: each has a section of the same name in docs/runbook.md.
NODE_STATUS_CHECK_FAILED = "NodeGroupStatusCheckFailed"
LOAD_BALANCER_5XX_HIGH = "LoadBalancer5xxRateHigh"
LOAD_BALANCER_LATENCY_HIGH = "LoadBalancerLatencyP95High"
LOAD_BALANCER_NO_HEALTHY_TARGETS = "LoadBalancerNoHealthyTargets"
AUDIT_ARCHIVE_STALE = "AuditArchiveDeliveryStale"
ALARM_KINDS = (
    NODE_STATUS_CHECK_FAILED,
    LOAD_BALANCER_5XX_HIGH,
    LOAD_BALANCER_LATENCY_HIGH,
    LOAD_BALANCER_NO_HEALTHY_TARGETS,
    AUDIT_ARCHIVE_STALE,
)
NODE_GROUP_NOTIFICATIONS = (
    aws.autoscaling.NotificationType.INSTANCE_LAUNCH_ERROR,
    aws.autoscaling.NotificationType.INSTANCE_TERMINATE_ERROR,
)
# The controller's tags on everything it creates for an IngressGroup.
CONTROLLER_CLUSTER_TAG = "elbv2.k8s.aws/cluster"
CONTROLLER_STACK_TAG = "ingress.k8s.aws/stack"
# An archive stream buffers up to 5 minutes; 15 minutes behind means deliveries are failing.
ARCHIVE_FRESHNESS_SECONDS = 900
_ALARM_NAME_MAX = 255


def arn_suffix(arn: str) -> str:
    """The CloudWatch dimension of an ELB resource: ``app/<name>/<id>``, ``targetgroup/<name>/<id>``."""
    resource = arn.split(":", 5)[-1]
    return resource.removeprefix("loadbalancer/")


def controller_alb_arn_suffix(
    cluster_name: pulumi.Input[str],
    group_name: str,
    *,
    created_by: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """The ``LoadBalancer`` dimension of the ALB the controller made for IngressGroup ``group_name``.

    ``created_by``: the resources whose creation makes the ALB (the inference service with its
    Ingresses); ``parent``: a resource with the model's AWS provider (the lookup inherits it).
    """
    found = aws.lb.get_load_balancer_output(
        tags=pulumi.Output.from_input(cluster_name).apply(
            lambda cluster: {CONTROLLER_CLUSTER_TAG: cluster, CONTROLLER_STACK_TAG: group_name}
        ),
        opts=pulumi.InvokeOutputOptions(parent=parent, depends_on=list(created_by)),
    )
    return found.arn_suffix


@dataclass(frozen=True)
class NodeGroupTarget:
    name: str
    """The pool's name (names the alarm)."""
    autoscaling_group_name: pulumi.Input[str]


@dataclass(frozen=True)
class ApplicationLoadBalancerTarget:
    name: str
    """The service behind it (names the alarms)."""
    arn_suffix: pulumi.Input[str]
    """``app/<name>/<id>``."""


@dataclass(frozen=True)
class NetworkLoadBalancerTarget:
    name: str
    arn_suffix: pulumi.Input[str]
    """``net/<name>/<id>``."""
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]]
    """Listener name -> ``targetgroup/<name>/<id>``."""


@dataclass(frozen=True)
class CloudAlarmsArgs:
    alarm_prefix: str
    """Start of every alarm name (the stack's cluster name): alarm names are unique per account and region."""
    region: str
    tags: Mapping[str, str]
    thresholds: EffectiveThresholds
    node_groups: Sequence[NodeGroupTarget]
    application_load_balancers: Sequence[ApplicationLoadBalancerTarget] = ()
    network_load_balancers: Sequence[NetworkLoadBalancerTarget] = ()
    delivery_streams: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Audit archive source -> Firehose stream name."""
    runbook_url: str = "docs/runbook.md"
    protect: bool = True
    """Protect and retain the topic's KMS key; on unless the caller opts out (stacks that are not prod-like)."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", self.alarm_prefix):
            raise ValueError(f"CloudAlarmsArgs.alarm_prefix must be 1-128 of [A-Za-z0-9_.-], got {self.alarm_prefix!r}")
        if not self.node_groups:
            raise ValueError("CloudAlarmsArgs.node_groups must list at least one node group")


def _topic_key_policy(partition: str, account_id: str) -> str:
    # CloudWatch alarms and Auto Scaling notifications publish to the encrypted topic: SNS then uses the
    # key on the publisher's behalf, so both must be allowed to (AWS: "compatibility between event
    # sources from AWS services and encrypted topics").
    autoscaling_role = (
        f"arn:{partition}:iam::{account_id}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    use = ["kms:Decrypt", "kms:GenerateDataKey*"]
    return policy_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                root_administration(partition, account_id),
                {
                    "Sid": "AllowCloudWatchAlarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": use,
                    "Resource": "*",
                },
                {
                    # Named in a condition: a key policy naming a role that does not exist yet is rejected.
                    "Sid": "AllowAutoScalingNotifications",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": use,
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:PrincipalArn": autoscaling_role, "kms:CallerAccount": account_id}
                    },
                },
            ],
        }
    )


def _topic_policy(topic_arn: str, account_id: str) -> str:
    """Publish: this account's CloudWatch alarms only; every request over TLS."""
    return policy_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowCloudWatchAlarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )


class CloudAlarms(pulumi.ComponentResource):
    """Encrypted SNS topic, node-group, load-balancer and archive alarms, node-group notifications."""

    topic_arn: pulumi.Output[str]
    """Where every alarm goes: subscribe the on-call channel to it."""
    alarm_names: list[pulumi.Output[str]]
    """Every alarm created."""

    def __init__(self, name: str, args: CloudAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        self._args = args
        self._opts = opts
        self._name = name
        tags = dict(args.tags)
        account = AwsAccount.lookup(self)
        key = customer_managed_key(
            f"{name}-topic-key",
            description=f"SNS topic of the CloudWatch alarms ({name})",
            policy=account.render(lambda facts: _topic_key_policy(facts.partition, facts.account_id)),
            alias_prefix=f"{name}-alarms",
            tags=tags,
            protect=args.protect,
            opts=child_options(self, opts),
        )
        topic_name = f"{args.alarm_prefix}-alarms"
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=topic_name,
            kms_master_key_id=key.arn,
            tags=tags,
            opts=child_options(self, opts),
        )
        # A fixed name: the ARN, and so the topic policy, is known at preview and can be checked before it exists.
        topic_arn = pulumi.Output.concat(
            "arn:", account.partition, ":sns:", args.region, ":", account.account_id, ":", topic_name
        )
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic_arn, account.account_id).apply(
                lambda values: _topic_policy(values[0], values[1])
            ),
            opts=child_options(self, opts),
        )
        self.topic_arn = topic.arn
        self.alarm_names = []
        self._node_groups()
        for alb in args.application_load_balancers:
            self._application_load_balancer(alb)
        for nlb in args.network_load_balancers:
            self._network_load_balancer(nlb)
        for source, stream in args.delivery_streams.items():
            self._alarm(
                AUDIT_ARCHIVE_STALE,
                source,
                "the audit archive stream has not delivered to S3 for 15 minutes",
                namespace="AWS/Firehose",
                metric_name="DeliveryToS3.DataFreshness",
                dimensions={"DeliveryStreamName": stream},
                statistic="Maximum",
                threshold=ARCHIVE_FRESHNESS_SECONDS,
                comparison_operator="GreaterThanThreshold",
                evaluation_periods=3,
            )
        self.register_outputs({"topicArn": self.topic_arn, "alarmNames": self.alarm_names})

    def _alarm(self, kind: str, target: str, meaning: str, **settings: Any) -> None:
        args = self._args
        alarm_name = f"{args.alarm_prefix}-{kind}-{target}"[:_ALARM_NAME_MAX]
        defaults: dict[str, Any] = {
            "period": 300,
            "evaluation_periods": 2,
            # No data is no failure: a pool scaled to zero, a load balancer without requests.
            "treat_missing_data": "notBreaching",
        }
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{kind}-{target}",
            name=alarm_name,
            alarm_description=f"{kind}: {meaning}. Runbook: {args.runbook_url}#{runbook_anchor(kind)}",
            alarm_actions=[self.topic_arn],
            ok_actions=[self.topic_arn],
            tags=dict(args.tags),
            opts=child_options(self, self._opts),
            **{**defaults, **settings},
        )
        self.alarm_names.append(alarm.name)

    def _node_groups(self) -> None:
        args = self._args
        for group in args.node_groups:
            self._alarm(
                NODE_STATUS_CHECK_FAILED,
                group.name,
                f"a node of GPU pool '{group.name}' fails its EC2 status checks",
                namespace="AWS/EC2",
                metric_name="StatusCheckFailed",
                dimensions={"AutoScalingGroupName": group.autoscaling_group_name},
                statistic="Maximum",
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
            )
        aws.autoscaling.Notification(
            f"{self._name}-node-group-notifications",
            group_names=[group.autoscaling_group_name for group in args.node_groups],
            notifications=list(NODE_GROUP_NOTIFICATIONS),
            topic_arn=self.topic_arn,
            opts=child_options(self, self._opts),
        )

    def _application_load_balancer(self, alb: ApplicationLoadBalancerTarget) -> None:
        t = self._args.thresholds

        def metric(query_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query_id,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace="AWS/ApplicationELB",
                    metric_name=metric_name,
                    dimensions={"LoadBalancer": alb.arn_suffix},
                    period=300,
                    stat="Sum",
                ),
                # Only the expression below is the alarm's value.
                return_data=False,
            )

        self._alarm(
            LOAD_BALANCER_5XX_HIGH,
            alb.name,
            f"more than {t.error_rate_percent:g} % of the load balancer's requests end in a 5xx",
            metric_queries=[
                metric("targets", "HTTPCode_Target_5XX_Count"),
                metric("balancer", "HTTPCode_ELB_5XX_Count"),
                metric("requests", "RequestCount"),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="errors",
                    expression="100 * (FILL(targets, 0) + FILL(balancer, 0)) / requests",
                    label="5xx percent",
                    return_data=True,
                ),
            ],
            threshold=t.error_rate_percent,
            comparison_operator="GreaterThanThreshold",
            period=None,
        )
        self._alarm(
            LOAD_BALANCER_LATENCY_HIGH,
            alb.name,
            f"the load balancer's p95 target response time is above {t.p95_latency_ms:g} ms",
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions={"LoadBalancer": alb.arn_suffix},
            extended_statistic="p95",
            threshold=t.p95_latency_ms / 1000,
            comparison_operator="GreaterThanThreshold",
        )

    def _network_load_balancer(self, nlb: NetworkLoadBalancerTarget) -> None:
        for listener, target_group in nlb.target_group_arn_suffixes.items():
            self._alarm(
                LOAD_BALANCER_NO_HEALTHY_TARGETS,
                f"{nlb.name}-{listener}",
                f"the '{listener}' listener of the network load balancer has no healthy target",
                namespace="AWS/NetworkELB",
                metric_name="HealthyHostCount",
                dimensions={"LoadBalancer": nlb.arn_suffix, "TargetGroup": target_group},
                statistic="Minimum",
                threshold=1,
                comparison_operator="LessThanThreshold",
                period=60,
                evaluation_periods=3,
                # No data for a target group is no healthy target.
                treat_missing_data="breaching",
            )
