"""Service monitoring: thresholds (with the hypercare window), alert rules, scrape targets and their network path."""

from __future__ import annotations

import json
from datetime import date

import pytest
from component_harness import plan_block, plan_stack

from components.config.models import HypercareConfig, MonitoringConfig, ScrapeMode, ThresholdsConfig
from components.monitoring import (
    ALERTS,
    CANDIDATE_ERRORS_ABOVE_STABLE,
    ERROR_RATE_HIGH,
    GPU_ALERTS,
    GPU_MEMORY_SATURATED,
    GPU_UTILIZATION_SATURATED,
    LATENCY_P95_HIGH,
    POD_CRASH_LOOPING,
    POD_RESTARTS_HIGH,
    SERVICE_ALERTS,
    EffectiveThresholds,
    MonitoredService,
    ServiceMonitoring,
    ServiceMonitoringArgs,
    effective_thresholds,
    gpu_rules,
    rule_groups,
    service_rules,
)
from preflight.engine import PlanResult

SERVICE = "kubernetes:core/v1:Service"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
LABELS = {"app.kubernetes.io/name": "clinical", "data-classification": "phi"}
WINDOW = HypercareConfig(start_date=date(2026, 3, 1), days=30, tighten_factor=0.5)
PLAIN = effective_thresholds(MonitoringConfig(), date(2026, 1, 1))


def _service(name: str = "clinical", tracks: tuple[str, ...] = ("stable",)) -> MonitoredService:
    return MonitoredService(name=name, namespace=f"{name}-ns", labels=LABELS, tracks=tracks)


def _rules(thresholds: EffectiveThresholds = PLAIN) -> dict[str, dict]:
    return {rule["alert"]: rule for rule in service_rules(_service(), thresholds, "docs/runbook.md")}


# -- thresholds and the hypercare window -----------------------------------------------------------


def test_outside_a_window_the_configured_thresholds_apply() -> None:
    monitoring = MonitoringConfig(thresholds=ThresholdsConfig(p95_latency_ms=800, error_rate_percent=1.5))
    thresholds = effective_thresholds(monitoring, date(2026, 1, 1))
    assert (thresholds.p95_latency_ms, thresholds.error_rate_percent, thresholds.hypercare_active) == (800, 1.5, False)


def test_inside_the_window_latency_errors_restarts_and_margin_are_multiplied_by_the_factor() -> None:
    thresholds = effective_thresholds(MonitoringConfig(hypercare=WINDOW), date(2026, 3, 10))
    assert thresholds.hypercare_active is True
    assert thresholds.p95_latency_ms == 500
    assert thresholds.error_rate_percent == 1.0
    assert thresholds.pod_restarts_per_hour == 1  # floor(3 * 0.5)
    assert thresholds.candidate_error_margin_percent == 0.5


def test_inside_the_window_gpu_saturation_keeps_twice_the_headroom() -> None:
    thresholds = effective_thresholds(MonitoringConfig(hypercare=WINDOW), date(2026, 3, 10))
    # 95 % utilisation leaves 5 points; factor 0.5 keeps 10 -> 90 %. Memory 90 % -> 80 %.
    assert (thresholds.gpu_utilization_percent, thresholds.gpu_memory_percent) == (90, 80)


def test_restart_threshold_never_drops_below_one() -> None:
    monitoring = MonitoringConfig(
        thresholds=ThresholdsConfig(pod_restarts_per_hour=1),
        hypercare=HypercareConfig(start_date=date(2026, 3, 1), tighten_factor=0.1),
    )
    assert effective_thresholds(monitoring, date(2026, 3, 1)).pod_restarts_per_hour == 1


@pytest.mark.parametrize(
    ("today", "active"),
    [
        (date(2026, 2, 28), False),  # the day before the window
        (date(2026, 3, 1), True),  # startDate is inside
        (date(2026, 3, 30), True),  # the last of 30 days
        (date(2026, 3, 31), False),  # startDate + days is outside
    ],
)
def test_the_window_is_start_date_inclusive_and_days_long(today: date, active: bool) -> None:
    assert effective_thresholds(MonitoringConfig(hypercare=WINDOW), today).hypercare_active is active


def test_thresholds_report_the_window_and_every_value() -> None:
    output = effective_thresholds(MonitoringConfig(hypercare=WINDOW), date(2026, 3, 10)).as_output()
    assert output["hypercareWindow"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert output["hypercareActive"] is True
    assert output["p95LatencyMs"] == 500


# -- rules -----------------------------------------------------------------------------------------


def test_every_service_alert_is_defined_once() -> None:
    assert sorted(_rules()) == sorted(SERVICE_ALERTS)
    assert set(ALERTS) == set(SERVICE_ALERTS) | set(GPU_ALERTS)


@pytest.mark.parametrize("alert", SERVICE_ALERTS)
def test_each_service_alert_has_severity_summary_description_and_runbook_anchor(alert: str) -> None:
    rule = _rules()[alert]
    assert rule["labels"]["severity"] in ("warning", "critical")
    assert rule["annotations"]["summary"]
    assert rule["annotations"]["description"]
    assert rule["annotations"]["runbook_url"] == f"docs/runbook.md#{alert.lower()}"


def test_p95_latency_uses_the_triton_summary_of_the_worst_pod_in_milliseconds() -> None:
    expr = _rules()[LATENCY_P95_HIGH]["expr"]
    assert 'nv_inference_request_summary_us{namespace="clinical-ns"' in expr
    assert 'quantile="0.95"' in expr
    assert expr.startswith("max by (namespace, service)")
    assert expr.endswith("/ 1000 > 1000")


def test_error_rate_is_failures_over_all_requests_per_track() -> None:
    expr = _rules()[ERROR_RATE_HIGH]["expr"]
    assert "sum by (namespace, service) (rate(nv_inference_request_failure{" in expr
    assert "rate(nv_inference_request_success{" in expr
    assert expr.endswith("> 2")


def test_candidate_rule_subtracts_stables_error_rate_from_the_candidates() -> None:
    expr = _rules()[CANDIDATE_ERRORS_ABOVE_STABLE]["expr"]
    candidate, stable = expr.split(") - (")
    assert 'service=~"clinical-metrics-candidate"' in candidate
    assert 'service=~"clinical-metrics-stable"' in stable
    assert expr.endswith("> 1")


def test_restart_and_crash_loop_rules_read_kube_state_metrics_for_the_services_pods() -> None:
    rules = _rules()
    pods = 'namespace="clinical-ns",pod=~"clinical-(stable|candidate)-.*"'
    assert f"kube_pod_container_status_restarts_total{{{pods}}}[1h]" in rules[POD_RESTARTS_HIGH]["expr"]
    assert rules[POD_RESTARTS_HIGH]["expr"].endswith("> 3")
    assert 'reason="CrashLoopBackOff"' in rules[POD_CRASH_LOOPING]["expr"]


def test_tightened_thresholds_are_what_the_rules_compare_with() -> None:
    tight = effective_thresholds(MonitoringConfig(hypercare=WINDOW), date(2026, 3, 10))
    rules = _rules(tight)
    assert rules[LATENCY_P95_HIGH]["expr"].endswith("> 500")
    assert rules[ERROR_RATE_HIGH]["expr"].endswith("> 1")
    assert rules[POD_RESTARTS_HIGH]["expr"].endswith("> 1")


def test_gpu_rules_read_dcgm_utilisation_and_frame_buffer() -> None:
    rules = {rule["alert"]: rule["expr"] for rule in gpu_rules(PLAIN, "docs/runbook.md")}
    assert rules[GPU_UTILIZATION_SATURATED] == "max by (Hostname, gpu, UUID) (DCGM_FI_DEV_GPU_UTIL) > 95"
    assert "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)" in rules[GPU_MEMORY_SATURATED]
    assert rules[GPU_MEMORY_SATURATED].endswith("> 90")


def test_gpu_group_is_added_only_when_asked() -> None:
    assert [group["name"] for group in rule_groups(_service(), PLAIN, "x", gpu=True)] == [
        "clinical.inference",
        "gpu.saturation",
    ]
    assert [group["name"] for group in rule_groups(_service(), PLAIN, "x", gpu=False)] == ["clinical.inference"]


def test_a_name_whose_metrics_service_would_be_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        _service(name="a" * 50)


def test_tracks_must_include_stable() -> None:
    with pytest.raises(ValueError, match="tracks"):
        _service(tracks=("candidate",))


def test_services_must_be_unique_and_present() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ServiceMonitoringArgs(services=[], thresholds=PLAIN)
    with pytest.raises(ValueError, match="unique"):
        ServiceMonitoringArgs(services=[_service(), _service()], thresholds=PLAIN)


# -- the block (service-monitor mode) --------------------------------------------------------------


def _monitoring(scrape: ScrapeMode) -> PlanResult:
    return plan_block(
        lambda: ServiceMonitoring(
            "mon",
            ServiceMonitoringArgs(
                services=[_service(tracks=("stable", "candidate")), _service(name="coding")],
                thresholds=PLAIN,
                scrape=scrape,
                prometheus_labels={"release": "kube-prometheus-stack"},
            ),
        )
    )


@pytest.fixture(scope="module")
def operator_plan() -> PlanResult:
    return _monitoring(ScrapeMode.SERVICE_MONITOR)


@pytest.fixture(scope="module")
def annotations_plan() -> PlanResult:
    return _monitoring(ScrapeMode.ANNOTATIONS)


def test_one_metrics_service_per_running_track(operator_plan: PlanResult) -> None:
    names = sorted(res.inputs["metadata"]["name"] for res in operator_plan.by_type(SERVICE))
    assert names == ["clinical-metrics-candidate", "clinical-metrics-stable", "coding-metrics-stable"]


def test_metrics_service_selects_one_tracks_pods_on_the_metrics_port(operator_plan: PlanResult) -> None:
    service = next(
        res for res in operator_plan.by_type(SERVICE) if res.inputs["metadata"]["name"] == "clinical-metrics-candidate"
    ).inputs
    assert service["spec"]["selector"] == {
        "app.kubernetes.io/name": "clinical",
        "inference.platform/track": "candidate",
    }
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 8002, "protocol": "TCP", "targetPort": 8002}]
    assert service["metadata"]["namespace"] == "clinical-ns"


def test_only_the_prometheus_namespace_reaches_the_metrics_port(operator_plan: PlanResult) -> None:
    policy = next(res for res in operator_plan.by_type(POLICY) if res.name == "mon-clinical-allow-metrics").inputs
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "clinical"}}
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    assert rule["ports"] == [{"port": 8002, "protocol": "TCP"}]


def test_service_monitor_selects_only_the_metrics_services(operator_plan: PlanResult) -> None:
    monitor = next(res for res in operator_plan.by_type(SERVICE_MONITOR) if "clinical" in res.name).inputs
    assert monitor["spec"]["selector"] == {
        "matchLabels": {"app.kubernetes.io/name": "clinical", "inference.platform/metrics": "true"}
    }
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_gpu_rules_are_stored_once_per_cluster(operator_plan: PlanResult) -> None:
    groups = {
        res.inputs["metadata"]["name"]: [group["name"] for group in res.inputs["spec"]["groups"]]
        for res in operator_plan.by_type(RULE)
    }
    assert groups == {
        "clinical-alerts": ["clinical.inference", "gpu.saturation"],
        "coding-alerts": ["coding.inference"],
    }


def test_block_reports_thresholds_and_alert_names(operator_plan: PlanResult) -> None:
    outputs = operator_plan.one("inference:monitoring:ServiceMonitoring").outputs
    assert outputs["thresholds"]["p95LatencyMs"] == 1000
    assert sorted(outputs["alertNames"]) == sorted(ALERTS)


# -- the block (annotations mode) ------------------------------------------------------------------


def test_annotations_mode_creates_no_operator_resources(annotations_plan: PlanResult) -> None:
    assert annotations_plan.by_type(SERVICE_MONITOR) == []
    assert annotations_plan.by_type(RULE) == []


def test_annotations_mode_annotates_the_metrics_services(annotations_plan: PlanResult) -> None:
    services = annotations_plan.by_type(SERVICE)
    assert services, "no Service in the plan"
    for service in services:
        assert service.inputs["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "8002",
            "prometheus.io/path": "/metrics",
        }


def test_annotations_mode_ships_the_same_rules_as_a_rule_file(annotations_plan: PlanResult) -> None:
    config_map = next(res for res in annotations_plan.by_type(CONFIG_MAP) if "clinical" in res.name).inputs
    rule_file = json.loads(config_map["data"]["clinical.rules.yml"])
    alerts = {rule["alert"] for group in rule_file["groups"] for rule in group["rules"]}
    assert alerts == set(ALERTS)


# -- on a real stack: the metrics Services find the serving pods -----------------------------------


def test_prod_metrics_service_selector_matches_the_serving_pods() -> None:
    prod = plan_stack("prod")
    metrics = next(res for res in prod.by_type(SERVICE) if res.inputs["metadata"]["name"] == "inference-metrics-stable")
    deployment = next(res for res in prod.by_type("kubernetes:apps/v1:Deployment") if res.name.endswith("-stable"))
    pod_labels = deployment.inputs["spec"]["template"]["metadata"]["labels"]
    assert metrics.inputs["spec"]["selector"].items() <= pod_labels.items()
    assert metrics.inputs["metadata"]["namespace"] == deployment.inputs["metadata"]["namespace"]
