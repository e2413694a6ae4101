"""Go-live monitoring on Kubernetes: scrape targets and alert rules for the inference services of one cluster.

**Metric family.** Every example stack serves with Triton Inference Server, so the rules use Triton's
own Prometheus metrics (https://docs.nvidia.com/deeplearning/triton-inference-server/user-guide/docs/
user_guide/metrics.html), served on ``--metrics-port`` (8002) at ``/metrics``:

* requests: the counters ``nv_inference_request_success`` and ``nv_inference_request_failure``;
* latency: ``nv_inference_request_summary_us``, a Summary whose default quantiles include 0.95. Triton
  exposes no request-duration histogram, and its summaries are off unless the server runs with
  ``--metrics-config=summary_latencies=true``; the ``InferenceLatencySummaryMissing`` alert says so
  instead of the p95 alert staying silent. A summary's quantiles are per pod and cannot be averaged,
  so the p95 alert takes the worst pod's p95 (``max``): conservative, never optimistic.

GPU saturation comes from the DCGM exporter (``DCGM_FI_DEV_GPU_UTIL``, ``DCGM_FI_DEV_FB_USED`` and
``DCGM_FI_DEV_FB_FREE``), restarts and crash loops from kube-state-metrics.

**Scrape targets.** The serving Services expose only the REST and gRPC ports, so this block adds one
metrics Service per track (``<name>-metrics-stable``, ``<name>-metrics-candidate``). The track is then
in the ``service`` label of every series under both scrape modes (the Prometheus Operator sets it from
the Service; the ``kubernetes-service-endpoints`` job of the community chart relabels it), which is how
the canary rule compares the candidate with stable without depending on pod-label mapping.
``service-monitor`` mode adds a ``ServiceMonitor`` and a ``PrometheusRule`` (the Prometheus Operator's
CRDs must be installed); ``annotations`` mode annotates the metrics Services with ``prometheus.io/*``
and ships the same rules as a rule file in a ConfigMap for a Prometheus without the operator.

**Network path.** The inference namespace denies all ingress except the exposure path; a
NetworkPolicy here admits the Prometheus namespace on the metrics port, and nothing else.

**Hypercare.** :func:`effective_thresholds` decides from the plan date whether the window is open;
the rules carry the resulting numbers, and the stack reports them as an output. A window that opens
or closes changes the plan on the next ``pulumi up``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .common import child_options
from .config.models import MonitoringConfig, ScrapeMode
from .labels import APP_NAME_LABEL, TRACK_LABEL, label_value
from .traffic_split import CANDIDATE, STABLE

RESOURCE_TYPE = "inference:monitoring:ServiceMonitoring"

METRICS_PORT_NAME = "metrics"
# Marks the metrics Services, so a ServiceMonitor selects them and never the serving Services.
METRICS_LABEL = "inference.platform/metrics"
MONITORING_API = "monitoring.coreos.com/v1"
K8S_NAME_MAX = 63

# Alert names: each has a section of the same name in docs/runbook.md (tests/docs/test_runbook.py).
LATENCY_P95_HIGH = "InferenceLatencyP95High"
LATENCY_SUMMARY_MISSING = "InferenceLatencySummaryMissing"
ERROR_RATE_HIGH = "InferenceErrorRateHigh"
CANDIDATE_ERRORS_ABOVE_STABLE = "InferenceCandidateErrorRateAboveStable"
POD_RESTARTS_HIGH = "InferencePodRestartsHigh"
POD_CRASH_LOOPING = "InferencePodCrashLooping"
METRICS_MISSING = "InferenceMetricsMissing"
GPU_UTILIZATION_SATURATED = "GpuUtilizationSaturated"
GPU_MEMORY_SATURATED = "GpuMemorySaturated"
SERVICE_ALERTS = (
    LATENCY_P95_HIGH,
    LATENCY_SUMMARY_MISSING,
    ERROR_RATE_HIGH,
    CANDIDATE_ERRORS_ABOVE_STABLE,
    POD_RESTARTS_HIGH,
    POD_CRASH_LOOPING,
    METRICS_MISSING,
)
GPU_ALERTS = (GPU_UTILIZATION_SATURATED, GPU_MEMORY_SATURATED)
ALERTS = SERVICE_ALERTS + GPU_ALERTS

meta = k8s.meta.v1
core = k8s.core.v1
net = k8s.networking.v1


def runbook_anchor(name: str) -> str:
    """The anchor of a runbook section titled ``name`` (how GitHub and most renderers slug a heading)."""
    return name.lower()


def metrics_service(service: str, track: str) -> str:
    """The metrics Service of one track of ``service``."""
    return f"{service}-metrics-{track}"


# -- thresholds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveThresholds:
    """The thresholds the alerts use on the plan date (tightened inside the hypercare window)."""

    p95_latency_ms: float
    error_rate_percent: float
    gpu_utilization_percent: float
    gpu_memory_percent: float
    pod_restarts_per_hour: int
    candidate_error_margin_percent: float
    hypercare_active: bool = False
    hypercare_window: tuple[date, date] | None = None
    """First day of the window and the first day after it, when a window is configured."""

    def as_output(self) -> dict[str, Any]:
        """The stack output: every threshold in force and whether hypercare tightened them."""
        window = self.hypercare_window
        return {
            "hypercareActive": self.hypercare_active,
            "hypercareWindow": {"start": window[0].isoformat(), "end": window[1].isoformat()} if window else None,
            "p95LatencyMs": self.p95_latency_ms,
            "errorRatePercent": self.error_rate_percent,
            "gpuUtilizationPercent": self.gpu_utilization_percent,
            "gpuMemoryPercent": self.gpu_memory_percent,
            "podRestartsPerHour": self.pod_restarts_per_hour,
            "candidateErrorMarginPercent": self.candidate_error_margin_percent,
        }


def _tightened_saturation(percent: float, factor: float) -> float:
    # Halving a saturation threshold would page on a GPU that is merely busy; tightening keeps 1/factor
    # times the headroom instead (95 % at factor 0.5 -> 90 %), never below 1 %.
    return round(max(1.0, 100 - (100 - percent) / factor), 2)


def effective_thresholds(monitoring: MonitoringConfig, today: date) -> EffectiveThresholds:
    """``monitoring.thresholds``, tightened by ``hypercare.tightenFactor`` if ``today`` is inside the window.

    ``today`` is the plan date, passed in so the decision is deterministic (tests inject it).
    """
    base = monitoring.thresholds
    hypercare = monitoring.hypercare
    window = (hypercare.start_date, hypercare.end_date) if hypercare is not None else None
    if hypercare is None or not hypercare.active_on(today):
        return EffectiveThresholds(
            p95_latency_ms=float(base.p95_latency_ms),
            error_rate_percent=float(base.error_rate_percent),
            gpu_utilization_percent=float(base.gpu_utilization_percent),
            gpu_memory_percent=float(base.gpu_memory_percent),
            pod_restarts_per_hour=base.pod_restarts_per_hour,
            candidate_error_margin_percent=float(base.candidate_error_margin_percent),
            hypercare_window=window,
        )
    factor = hypercare.tighten_factor
    return EffectiveThresholds(
        p95_latency_ms=round(base.p95_latency_ms * factor, 2),
        error_rate_percent=round(base.error_rate_percent * factor, 4),
        gpu_utilization_percent=_tightened_saturation(base.gpu_utilization_percent, factor),
        gpu_memory_percent=_tightened_saturation(base.gpu_memory_percent, factor),
        # "More than N restarts an hour": at least one, so a single restart never pages.
        pod_restarts_per_hour=max(1, math.floor(base.pod_restarts_per_hour * factor)),
        candidate_error_margin_percent=round(base.candidate_error_margin_percent * factor, 4),
        hypercare_active=True,
        hypercare_window=window,
    )


# -- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoredService:
    """One inference service: its name and namespace as configured, its labels and running tracks."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    """Kubernetes labels for the objects created in its namespace (labels.Labels.k8s_labels)."""
    tracks: Sequence[str] = (STABLE,)
    """Tracks with a Deployment now: ``stable``, plus ``candidate`` during a rollout."""

    def __post_init__(self) -> None:
        longest = metrics_service(self.name, CANDIDATE)
        if len(longest) > K8S_NAME_MAX:
            raise ValueError(
                f"MonitoredService.name {self.name!r} is too long: its metrics Service '{longest}' would exceed "
                f"{K8S_NAME_MAX} characters"
            )
        unknown = sorted(set(self.tracks) - {STABLE, CANDIDATE})
        if unknown or STABLE not in self.tracks:
            raise ValueError(f"MonitoredService.tracks must be 'stable' and optionally 'candidate', got {self.tracks}")


def _alert(
    name: str,
    expr: str,
    *,
    duration: str,
    severity: str,
    summary: str,
    description: str,
    runbook_url: str,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "alert": name,
        "expr": expr,
        "labels": {"severity": severity, **(labels or {})},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{runbook_url}#{runbook_anchor(name)}",
        },
    }
    if duration != "0m":
        rule["for"] = duration
    return rule


def _selector(service: MonitoredService, tracks: Sequence[str]) -> str:
    services = "|".join(metrics_service(service.name, track) for track in tracks)
    return f'namespace="{service.namespace}",service=~"{services}"'


def _error_percent(selector: str, window: str, by: str = "") -> str:
    """100 * failed / all requests over ``window``; NaN (no alert) without traffic."""
    group = f" by ({by})" if by else ""
    failed = f"sum{group} (rate(nv_inference_request_failure{{{selector}}}[{window}]))"
    succeeded = f"sum{group} (rate(nv_inference_request_success{{{selector}}}[{window}]))"
    return f"100 * {failed} / ({succeeded} + {failed})"


def service_rules(service: MonitoredService, thresholds: EffectiveThresholds, runbook_url: str) -> list[dict[str, Any]]:
    """The alerting rules of one inference service (every track)."""
    everything = _selector(service, (STABLE, CANDIDATE))
    ns = service.namespace
    owner = {"inference_service": service.name}
    pods = f'namespace="{ns}",pod=~"{service.name}-({STABLE}|{CANDIDATE})-.*"'
    t = thresholds
    return [
        _alert(
            LATENCY_P95_HIGH,
            f'max by (namespace, service) (nv_inference_request_summary_us{{{everything},quantile="0.95"}}) / 1000'
            f" > {t.p95_latency_ms:g}",
            duration="10m",
            severity="warning",
            summary=f"p95 inference latency of {service.name} is above {t.p95_latency_ms:g} ms",
            description=(
                f"The slowest pod of {{{{ $labels.service }}}} in {ns} has a p95 request latency of "
                f"{{{{ $value | humanize }}}} ms (threshold {t.p95_latency_ms:g} ms) for 10 minutes."
            ),
            runbook_url=runbook_url,
            labels=owner,
        ),
        _alert(
            LATENCY_SUMMARY_MISSING,
            f'absent(nv_inference_request_summary_us{{{everything},quantile="0.95"}})'
            f" and on() (sum(rate(nv_inference_request_success{{{everything}}}[10m])) > 0)",
            duration="30m",
            severity="warning",
            summary=f"p95 latency of {service.name} is not measured",
            description=(
                f"{service.name} in {ns} serves requests but exports no nv_inference_request_summary_us: the p95 "
                "latency alert cannot fire. Start Triton with --metrics-config=summary_latencies=true."
            ),
            runbook_url=runbook_url,
            labels=owner,
        ),
        _alert(
            ERROR_RATE_HIGH,
            f"{_error_percent(everything, '5m', 'namespace, service')} > {t.error_rate_percent:g}",
            duration="10m",
            severity="critical",
            summary=f"{service.name} fails more than {t.error_rate_percent:g} % of inference requests",
            description=(
                f"{{{{ $labels.service }}}} in {ns} failed {{{{ $value | humanize }}}} % of requests over 5 minutes "
                f"(threshold {t.error_rate_percent:g} %) for 10 minutes."
            ),
            runbook_url=runbook_url,
            labels=owner,
        ),
        _alert(
            CANDIDATE_ERRORS_ABOVE_STABLE,
            f"({_error_percent(_selector(service, (CANDIDATE,)), '10m')})"
            f" - ({_error_percent(_selector(service, (STABLE,)), '10m')})"
            f" > {t.candidate_error_margin_percent:g}",
            duration="10m",
            severity="critical",
            summary=f"the candidate of {service.name} fails more often than stable",
            description=(
                f"During the rollout of {service.name} in {ns} the candidate's error rate is "
                f"{{{{ $value | humanize }}}} points above stable's (margin {t.candidate_error_margin_percent:g})."
            ),
            runbook_url=runbook_url,
            labels={**owner, "namespace": ns},
        ),
        _alert(
            POD_RESTARTS_HIGH,
            f"sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{{{pods}}}[1h]))"
            f" > {t.pod_restarts_per_hour}",
            duration="0m",
            severity="warning",
            summary=f"a pod of {service.name} restarts repeatedly",
            description=(
                f"{{{{ $labels.pod }}}} in {ns} restarted {{{{ $value | humanize }}}} times in the last hour "
                f"(threshold {t.pod_restarts_per_hour})."
            ),
            runbook_url=runbook_url,
            labels=owner,
        ),
        _alert(
            POD_CRASH_LOOPING,
            "max by (namespace, pod, container) "
            f'(kube_pod_container_status_waiting_reason{{{pods},reason="CrashLoopBackOff"}}) >= 1',
            duration="10m",
            severity="critical",
            summary=f"a pod of {service.name} is crash looping",
            description=f"{{{{ $labels.pod }}}} in {ns} has been in CrashLoopBackOff for 10 minutes.",
            runbook_url=runbook_url,
            labels=owner,
        ),
        _alert(
            METRICS_MISSING,
            f'absent(up{{namespace="{ns}",service="{metrics_service(service.name, STABLE)}"}} == 1)',
            duration="15m",
            severity="warning",
            summary=f"Prometheus scrapes no metrics from {service.name}",
            description=(
                f"No target of {metrics_service(service.name, STABLE)} in {ns} has been up for 15 minutes: every "
                "other alert of this service is blind."
            ),
            runbook_url=runbook_url,
            labels={**owner, "namespace": ns},
        ),
    ]


def gpu_rules(thresholds: EffectiveThresholds, runbook_url: str) -> list[dict[str, Any]]:
    """Saturation alerts for every GPU the DCGM exporter reports (one set per cluster)."""
    t = thresholds
    by = "Hostname, gpu, UUID"
    return [
        _alert(
            GPU_UTILIZATION_SATURATED,
            f"max by ({by}) (DCGM_FI_DEV_GPU_UTIL) > {t.gpu_utilization_percent:g}",
            duration="15m",
            severity="warning",
            summary=f"a GPU is busier than {t.gpu_utilization_percent:g} %",
            description=(
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has been {{ $value | humanize }} % utilised for 15 "
                f"minutes (threshold {t.gpu_utilization_percent:g} %)."
            ),
            runbook_url=runbook_url,
        ),
        _alert(
            GPU_MEMORY_SATURATED,
            f"max by ({by}) (100 * DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE))"
            f" > {t.gpu_memory_percent:g}",
            duration="15m",
            severity="warning",
            summary=f"a GPU's memory is more than {t.gpu_memory_percent:g} % used",
            description=(
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has {{ $value | humanize }} % of its frame buffer "
                f"in use for 15 minutes (threshold {t.gpu_memory_percent:g} %)."
            ),
            runbook_url=runbook_url,
        ),
    ]


def rule_groups(
    service: MonitoredService, thresholds: EffectiveThresholds, runbook_url: str, *, gpu: bool
) -> list[dict[str, Any]]:
    """The rule groups stored with ``service``: its own, and (once per cluster) the GPU group."""
    groups = [{"name": f"{service.name}.inference", "rules": service_rules(service, thresholds, runbook_url)}]
    if gpu:
        groups.append({"name": "gpu.saturation", "rules": gpu_rules(thresholds, runbook_url)})
    return groups


# -- the block -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceMonitoringArgs:
    services: Sequence[MonitoredService]
    thresholds: EffectiveThresholds
    scrape: ScrapeMode = ScrapeMode.SERVICE_MONITOR
    metrics_port: int = 8002
    metrics_path: str = "/metrics"
    prometheus_namespace: str = "monitoring"
    """The only namespace admitted to the metrics port."""
    prometheus_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels the Prometheus Operator selects ServiceMonitors and PrometheusRules by."""
    gpu_rules: bool = True
    """Add the GPU saturation rules (the cluster runs a DCGM exporter)."""
    runbook_url: str = "docs/runbook.md"
    scrape_interval: str = "30s"

    def __post_init__(self) -> None:
        if not self.services:
            raise ValueError("ServiceMonitoringArgs.services must list at least one service")
        names = [service.name for service in self.services]
        if len(set(names)) != len(names):
            raise ValueError(f"ServiceMonitoringArgs.services names must be unique, got {names}")


class ServiceMonitoring(pulumi.ComponentResource):
    """Metrics Services, a NetworkPolicy, a ServiceMonitor (or annotations) and alert rules per service."""

    thresholds: dict[str, Any]
    """The thresholds in force (see :meth:`EffectiveThresholds.as_output`)."""
    alert_names: list[str]
    """Every alert the rules define."""

    def __init__(self, name: str, args: ServiceMonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        self._args = args
        self._opts = opts
        for index, service in enumerate(args.services):
            prefix = f"{name}-{service.name}"
            self._metrics_services(prefix, service)
            self._network_policy(prefix, service)
            if args.scrape is ScrapeMode.SERVICE_MONITOR:
                self._service_monitor(prefix, service)
            # The GPU rules go with the first service only: one set per cluster, no duplicate alerts.
            groups = rule_groups(service, args.thresholds, args.runbook_url, gpu=args.gpu_rules and index == 0)
            self._rules(prefix, service, groups)
        self.thresholds = args.thresholds.as_output()
        self.alert_names = list(SERVICE_ALERTS + (GPU_ALERTS if args.gpu_rules else ()))
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The thresholds in force and the alert names: what a stack reports about its monitoring."""
        return {"thresholds": self.thresholds, "alertNames": self.alert_names}

    def _meta(
        self,
        k8s_name: str,
        service: MonitoredService,
        *,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> meta.ObjectMetaArgs:
        return meta.ObjectMetaArgs(
            name=k8s_name,
            namespace=service.namespace,
            labels={**service.labels, **(labels or {})},
            annotations=dict(annotations) if annotations else None,
        )

    def _metrics_services(self, prefix: str, service: MonitoredService) -> None:
        args = self._args
        app = label_value(service.name)
        annotations = None
        if args.scrape is ScrapeMode.ANNOTATIONS:
            annotations = {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(args.metrics_port),
                "prometheus.io/path": args.metrics_path,
            }
        for track in service.tracks:
            core.Service(
                f"{prefix}-metrics-{track}",
                metadata=self._meta(
                    metrics_service(service.name, track),
                    service,
                    labels={METRICS_LABEL: "true", TRACK_LABEL: track},
                    annotations=annotations,
                ),
                spec=core.ServiceSpecArgs(
                    type="ClusterIP",
                    # The pods of one track, as the inference service labels them.
                    selector={APP_NAME_LABEL: app, TRACK_LABEL: track},
                    ports=[
                        core.ServicePortArgs(
                            name=METRICS_PORT_NAME,
                            port=args.metrics_port,
                            target_port=args.metrics_port,
                            protocol="TCP",
                        )
                    ],
                ),
                opts=child_options(self, self._opts),
            )

    def _network_policy(self, prefix: str, service: MonitoredService) -> None:
        args = self._args
        net.NetworkPolicy(
            f"{prefix}-allow-metrics",
            metadata=self._meta(f"{service.name}-allow-metrics", service),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=meta.LabelSelectorArgs(match_labels={APP_NAME_LABEL: label_value(service.name)}),
                policy_types=["Ingress"],
                ingress=[
                    net.NetworkPolicyIngressRuleArgs(
                        from_=[
                            net.NetworkPolicyPeerArgs(
                                namespace_selector=meta.LabelSelectorArgs(
                                    match_labels={"kubernetes.io/metadata.name": args.prometheus_namespace}
                                )
                            )
                        ],
                        ports=[net.NetworkPolicyPortArgs(protocol="TCP", port=args.metrics_port)],
                    )
                ],
            ),
            opts=child_options(self, self._opts),
        )

    def _service_monitor(self, prefix: str, service: MonitoredService) -> None:
        args = self._args
        k8s.apiextensions.CustomResource(
            f"{prefix}-service-monitor",
            api_version=MONITORING_API,
            kind="ServiceMonitor",
            metadata=self._meta(f"{service.name}-metrics", service, labels=args.prometheus_labels),
            spec={
                "selector": {"matchLabels": {APP_NAME_LABEL: label_value(service.name), METRICS_LABEL: "true"}},
                "endpoints": [{"port": METRICS_PORT_NAME, "path": args.metrics_path, "interval": args.scrape_interval}],
                # Copied onto every series as `inference_platform_track`, for dashboards.
                "targetLabels": [TRACK_LABEL],
            },
            opts=child_options(self, self._opts),
        )

    def _rules(self, prefix: str, service: MonitoredService, groups: list[dict[str, Any]]) -> None:
        args = self._args
        if args.scrape is ScrapeMode.SERVICE_MONITOR:
            k8s.apiextensions.CustomResource(
                f"{prefix}-alerts",
                api_version=MONITORING_API,
                kind="PrometheusRule",
                metadata=self._meta(f"{service.name}-alerts", service, labels=args.prometheus_labels),
                spec={"groups": groups},
                opts=child_options(self, self._opts),
            )
            return
        # Without the operator: a Prometheus rule file (JSON is YAML) for the server's rule_files.
        core.ConfigMap(
            f"{prefix}-alert-rules",
            metadata=self._meta(f"{service.name}-alert-rules", service, labels=args.prometheus_labels),
            data={f"{service.name}.rules.yml": json.dumps({"groups": groups}, indent=2)},
            opts=child_options(self, self._opts),
        )
