"""Stack config -> the go-live monitoring, alarm and audit-archive blocks of every model.

Not a block: like :mod:`components.rollout` it reads ``StackConfig``; the blocks
(:mod:`components.monitoring`, :mod:`components.dcgm_exporter`, :mod:`components.cloud_alarms`,
:mod:`components.audit_archive`) only see their args. Each model calls one function after it has
built its inference services:

* a Kubernetes cluster the model reaches (on-prem, the on-prem side of hybrid):
  :func:`observe_cluster` - metrics Services, scrape config and alert rules; GPU metrics come from
  the GPU Operator's own DCGM exporter;
* an EKS platform (public and private cloud, the cloud side of hybrid): :func:`observe_eks_platform`
  - the same, plus the DCGM exporter, the CloudWatch alarms and the audit-log archive.

The edge model gets nothing here: its devices are Docker hosts reached over SSH, with no Prometheus
path to them (the serving port is bound to the device's address, the metrics port is not published);
each container's healthcheck is its monitoring, and an unhealthy version fails its wave's update.

The hypercare decision uses the plan date, :func:`plan_date` (UTC), unless a test passes ``today``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pulumi
import pulumi_aws as aws

from .audit_archive import AuditArchive, AuditArchiveArgs, AuditLogSource, audit_bucket_name
from .cloud_alarms import (
    ApplicationLoadBalancerTarget,
    CloudAlarms,
    CloudAlarmsArgs,
    NetworkLoadBalancerTarget,
    NodeGroupTarget,
    arn_suffix,
    controller_alb_arn_suffix,
)
from .common import AwsAccount, child_options
from .config import StackConfig
from .config.models import ScrapeMode
from .dcgm_exporter import DcgmExporter, DcgmExporterArgs
from .eks_cluster import cluster_log_group_name
from .eks_platform import EksPlatform, ServiceWorkload, cluster_name
from .inference_service import InferenceService
from .labels import Labels
from .monitoring import (
    EffectiveThresholds,
    MonitoredService,
    ServiceMonitoring,
    ServiceMonitoringArgs,
    effective_thresholds,
)
from .network import Network
from .traffic_split import CANDIDATE, STABLE, AlbRouter, Router, alb_group_name


def plan_date() -> date:
    """Today in UTC: the date a plan decides the hypercare window by."""
    return datetime.now(UTC).date()


def stack_thresholds(config: StackConfig, today: date | None = None) -> EffectiveThresholds:
    """The alert thresholds in force for ``config`` on ``today`` (default: the plan date)."""
    return effective_thresholds(config.monitoring, today or plan_date())


@dataclass(frozen=True)
class ObservedService:
    """An inference service as the model built it: names as configured, plus its block."""

    name: str
    namespace: str
    service: InferenceService
    data_classification: str | None = None
    """Label value of its namespace and pods; None: the stack's."""


def monitored_service(config: StackConfig, labels: Labels, observed: ObservedService) -> MonitoredService:
    """The monitoring block's view of one service: labels like its pods', the tracks running now."""
    if observed.data_classification is not None:
        labels = dataclasses.replace(labels, data_classification=observed.data_classification)
    tracks = (STABLE, CANDIDATE) if observed.service.candidate_deployment is not None else (STABLE,)
    return MonitoredService(
        name=observed.name,
        namespace=observed.namespace,
        labels=labels.k8s_labels(observed.name, config.inference.model.version),
        tracks=tracks,
    )


def _service_monitoring(
    parent: pulumi.Resource,
    name: str,
    *,
    config: StackConfig,
    labels: Labels,
    services: Sequence[ObservedService],
    thresholds: EffectiveThresholds,
    opts: pulumi.ResourceOptions,
) -> ServiceMonitoring:
    monitoring = config.monitoring
    return ServiceMonitoring(
        f"{name}-monitoring",
        ServiceMonitoringArgs(
            services=[monitored_service(config, labels, observed) for observed in services],
            thresholds=thresholds,
            scrape=monitoring.scrape,
            metrics_port=monitoring.metrics_port,
            metrics_path=monitoring.metrics_path,
            prometheus_namespace=monitoring.prometheus_namespace,
            prometheus_labels=monitoring.prometheus_labels,
            gpu_rules=monitoring.dcgm_exporter,
            runbook_url=monitoring.runbook_url,
        ),
        # After the services: their namespaces must exist, and the metrics Services select their pods.
        child_options(parent, opts, pulumi.ResourceOptions(depends_on=[observed.service for observed in services])),
    )


def observe_cluster(
    parent: pulumi.Resource,
    name: str,
    *,
    config: StackConfig,
    labels: Labels,
    services: Sequence[ObservedService],
    opts: pulumi.ResourceOptions,
    today: date | None = None,
) -> ServiceMonitoring:
    """Scrape targets and alert rules for the services of a cluster; ``opts`` carries its Kubernetes provider."""
    return _service_monitoring(
        parent,
        name,
        config=config,
        labels=labels,
        services=services,
        thresholds=stack_thresholds(config, today),
        opts=opts,
    )


@dataclass(frozen=True)
class CloudObservability:
    """The blocks :func:`observe_eks_platform` created."""

    monitoring: ServiceMonitoring
    dcgm_exporter: DcgmExporter | None
    alarms: CloudAlarms
    archive: AuditArchive

    def exports(self) -> dict[str, Any]:
        """The ``monitoring`` stack output: thresholds in force, where alarms go, the audit archive."""
        return {
            **self.monitoring.outputs(),
            "alarmTopicArn": self.alarms.topic_arn,
            "auditArchive": {"bucketName": self.archive.bucket_name, "retentionDays": self.archive.retention_days},
        }


def observe_eks_platform(
    parent: pulumi.Resource,
    name: str,
    *,
    config: StackConfig,
    labels: Labels,
    network: Network,
    platform: EksPlatform,
    services: Sequence[ObservedService],
    router: Router | None,
    opts: pulumi.ResourceOptions | None,
    network_load_balancers: Sequence[NetworkLoadBalancerTarget] = (),
    today: date | None = None,
) -> CloudObservability:
    """DCGM exporter, service monitoring, CloudWatch alarms and the audit archive of an EKS platform.

    ``router``: the services' exposure (an ALB from the controller gets 5xx and latency alarms);
    ``network_load_balancers``: load balancers the model owns.
    """
    assert config.region is not None  # StackConfig requires aws:region for cloud models
    monitoring = config.monitoring
    tags = labels.aws_tags()
    protect = config.prod_like
    thresholds = stack_thresholds(config, today)
    child = child_options(parent, opts)
    on_cluster = child_options(parent, opts, pulumi.ResourceOptions(providers=[platform.cluster.provider]))
    cluster = platform.cluster

    dcgm = None
    if monitoring.dcgm_exporter:
        dcgm = DcgmExporter(
            f"{name}-dcgm-exporter",
            DcgmExporterArgs(
                accelerators=sorted({str(pool.accelerator) for pool in config.gpu_node_pools}),
                service_monitor=monitoring.scrape is ScrapeMode.SERVICE_MONITOR,
                prometheus_labels=monitoring.prometheus_labels,
                image=monitoring.dcgm_exporter_image,
            ),
            on_cluster,
        )
    service_monitoring = _service_monitoring(
        parent, name, config=config, labels=labels, services=services, thresholds=thresholds, opts=on_cluster
    )

    stack_name = cluster_name(pulumi.get_project(), pulumi.get_stack())
    # Looked up under the cluster, which has the model's AWS provider.
    account = AwsAccount.lookup(cluster)
    archive = AuditArchive(
        f"{name}-audit-archive",
        AuditArchiveArgs(
            region=config.region,
            sources=[
                # The cluster's name is pinned, so is its log group's: known at preview.
                AuditLogSource("eks-control-plane", cluster_log_group_name(stack_name)),
                AuditLogSource("vpc-flow-logs", network.flow_log_group_name),
            ],
            # The EKS block creates the control-plane log group before the cluster.
            log_groups_created_by=[cluster],
            retention_days=monitoring.archive_days(config.compliance.profile),
            # Regulated or production: nobody can shorten the lock. Otherwise an administrator with
            # s3:BypassGovernanceRetention can clean up a torn-down development stack.
            lock_mode="COMPLIANCE" if protect or config.compliance.profile.regulated else "GOVERNANCE",
            bucket_name=audit_bucket_name(stack_name, account.account_id),
            tags=tags,
            protect=protect,
        ),
        child,
    )
    albs = []
    if isinstance(router, AlbRouter):
        for observed in services:
            group = alb_group_name(router, namespace=observed.namespace, name=observed.name)
            albs.append(
                ApplicationLoadBalancerTarget(
                    name=observed.name,
                    arn_suffix=controller_alb_arn_suffix(
                        cluster.cluster_name, group, created_by=[observed.service], parent=cluster
                    ),
                )
            )
    alarms = CloudAlarms(
        f"{name}-alarms",
        CloudAlarmsArgs(
            alarm_prefix=stack_name,
            region=config.region,
            tags=tags,
            thresholds=thresholds,
            node_groups=[
                NodeGroupTarget(name=pool_config.name, autoscaling_group_name=_autoscaling_group(pool.node_group))
                for pool_config, pool in zip(config.gpu_node_pools, platform.gpu_pools, strict=True)
            ],
            application_load_balancers=albs,
            network_load_balancers=network_load_balancers,
            delivery_streams=archive.delivery_stream_names,
            runbook_url=monitoring.runbook_url,
            protect=protect,
        ),
        child,
    )
    return CloudObservability(monitoring=service_monitoring, dcgm_exporter=dcgm, alarms=alarms, archive=archive)


def _autoscaling_group(node_group: aws.eks.NodeGroup) -> pulumi.Output[str]:
    """The Auto Scaling group behind a managed node group (known once the group exists)."""

    def first(resources: Sequence[aws.eks.outputs.NodeGroupResource] | None) -> str:
        for resource in resources or []:
            for group in resource.autoscaling_groups or []:
                if group.name:
                    return str(group.name)
        return ""

    return node_group.resources.apply(first)


def platform_services(
    platform: EksPlatform, workloads: Sequence[ServiceWorkload] | None, config: StackConfig
) -> list[ObservedService]:
    """The platform's services with the names and namespaces they were configured with."""
    if workloads is None:
        inference = config.inference
        return [ObservedService(name=inference.name, namespace=inference.namespace, service=platform.service)]
    return [
        ObservedService(
            name=workload.name,
            namespace=workload.namespace,
            service=platform.services[workload.name],
            data_classification=workload.data_classification,
        )
        for workload in workloads
    ]


def nlb_target(
    name: str, arn: pulumi.Input[str], target_group_arns: Mapping[str, pulumi.Input[str]]
) -> NetworkLoadBalancerTarget:
    """A load balancer the model owns, by its ARN and its listeners' target groups."""
    return NetworkLoadBalancerTarget(
        name=name,
        arn_suffix=pulumi.Output.from_input(arn).apply(arn_suffix),
        target_group_arn_suffixes={
            listener: pulumi.Output.from_input(group).apply(arn_suffix) for listener, group in target_group_arns.items()
        },
    )
