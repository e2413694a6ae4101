"""Monitoring config: bad thresholds, windows, scrape settings and retentions are refused with the key and the rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from components.config import StackConfig, validate
from components.config.models import RETENTION_MINIMUMS, ScrapeMode
from components.config.types import ComplianceProfile
from tests.components.component_harness import config_error, raw_stack

ROOT = Path(__file__).resolve().parents[3]
PROJECT = "inference-platform"


def _with_monitoring(name: str = "prod", **monitoring: Any) -> dict[str, Any]:
    raw = raw_stack(name)
    raw["monitoring"] = monitoring
    return raw


def test_defaults_scrape_with_a_service_monitor_and_run_the_dcgm_exporter() -> None:
    monitoring = validate(raw_stack("prod"), PROJECT).monitoring
    assert (monitoring.scrape, monitoring.dcgm_exporter, monitoring.metrics_port) == (
        ScrapeMode.SERVICE_MONITOR,
        True,
        8002,
    )


def test_a_full_monitoring_section_is_accepted() -> None:
    config = validate(
        _with_monitoring(
            scrape="annotations",
            prometheusNamespace="observability",
            prometheusLabels={"release": "kube-prometheus-stack"},
            thresholds={"p95LatencyMs": 750, "errorRatePercent": 0.5, "candidateErrorMarginPercent": 0.2},
            hypercare={"startDate": "2026-12-01", "days": 60, "tightenFactor": 0.5},
            auditArchiveDays=2557,
        ),
        PROJECT,
    )
    assert isinstance(config, StackConfig)
    assert config.monitoring.hypercare is not None
    assert config.monitoring.hypercare.end_date == date(2027, 1, 30)
    assert config.monitoring.archive_days(ComplianceProfile.HIPAA) == 2557


def test_unknown_scrape_mode_names_the_allowed_modes() -> None:
    message = config_error(_with_monitoring(scrape="pushgateway"))
    assert f"{PROJECT}:monitoring.scrape:" in message
    assert "'service-monitor' or 'annotations'" in message


def test_misspelt_threshold_lists_the_threshold_keys() -> None:
    message = config_error(_with_monitoring(thresholds={"p99LatencyMs": 500}))
    assert f"{PROJECT}:monitoring.thresholds.p99LatencyMs: unknown key" in message
    assert "p95LatencyMs" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("p95LatencyMs", 0),
        ("errorRatePercent", 0),
        ("errorRatePercent", 101),
        ("gpuUtilizationPercent", 101),
        ("gpuMemoryPercent", 0),
        ("podRestartsPerHour", 0),
        ("candidateErrorMarginPercent", 0),
    ],
)
def test_threshold_out_of_range_is_refused(key: str, value: int) -> None:
    message = config_error(_with_monitoring(thresholds={key: value}))
    assert f"{PROJECT}:monitoring.thresholds.{key}:" in message
    assert f"(got {value})" in message


@pytest.mark.parametrize("days", [29, 91])
def test_hypercare_window_must_be_30_to_90_days(days: int) -> None:
    message = config_error(_with_monitoring(hypercare={"startDate": "2026-12-01", "days": days}))
    assert f"{PROJECT}:monitoring.hypercare.days:" in message
    assert str(days) in message


@pytest.mark.parametrize("factor", [0.05, 1.5])
def test_tighten_factor_must_be_between_a_tenth_and_one(factor: float) -> None:
    message = config_error(_with_monitoring(hypercare={"startDate": "2026-12-01", "tightenFactor": factor}))
    assert f"{PROJECT}:monitoring.hypercare.tightenFactor:" in message


def test_hypercare_needs_a_valid_start_date() -> None:
    message = config_error(_with_monitoring(hypercare={"startDate": "next monday"}))
    assert f"{PROJECT}:monitoring.hypercare.startDate:" in message
    assert "next monday" in message


def test_hypercare_without_a_start_date_is_refused() -> None:
    message = config_error(_with_monitoring(hypercare={"days": 30}))
    assert f"{PROJECT}:monitoring.hypercare.startDate:" in message


def test_metrics_port_must_be_a_port() -> None:
    message = config_error(_with_monitoring(metricsPort=70000))
    assert f"{PROJECT}:monitoring.metricsPort:" in message


def test_prometheus_namespace_must_be_a_kubernetes_name() -> None:
    message = config_error(_with_monitoring(prometheusNamespace="Monitoring"))
    assert f"{PROJECT}:monitoring.prometheusNamespace:" in message


def test_prometheus_label_values_must_be_label_values() -> None:
    message = config_error(_with_monitoring(prometheusLabels={"release": "kube prometheus"}))
    assert f"{PROJECT}:monitoring.prometheusLabels.release:" in message


def test_dcgm_exporter_image_must_be_pinned_by_digest() -> None:
    message = config_error(
        _with_monitoring(dcgmExporterImage="nvcr.io/nvidia/k8s/dcgm-exporter:4.4.2-4.7.1-ubuntu22.04")
    )
    assert f"{PROJECT}:monitoring.dcgmExporterImage: must be pinned by digest" in message


def test_audit_archive_below_the_profiles_minimum_is_refused() -> None:
    message = config_error(_with_monitoring(auditArchiveDays=365))
    assert (
        f"{PROJECT} (stack config): monitoring.auditArchiveDays is 365; compliance.profile 'hipaa' keeps the "
        "audit archive at least 2192 days"
    ) in message


def test_audit_archive_longer_than_object_lock_allows_is_refused() -> None:
    message = config_error(_with_monitoring(auditArchiveDays=40000))
    assert f"{PROJECT}:monitoring.auditArchiveDays:" in message


@pytest.mark.parametrize(("section", "key"), [("cluster", "logRetentionDays"), ("network", "flowLogRetentionDays")])
def test_cloud_log_retention_below_the_profiles_minimum_is_refused(section: str, key: str) -> None:
    raw = raw_stack("prod")
    raw[section][key] = 90
    message = config_error(raw)
    assert f"{section}.{key} is 90 days; compliance.profile 'hipaa' keeps audit logs at least 365 days" in message


def test_baseline_accepts_thirty_day_log_groups() -> None:
    # The dev stack: baseline profile, 30-day log groups.
    assert validate(raw_stack("dev"), PROJECT).cluster.log_retention_days == 30


def test_profiles_archive_minimums() -> None:
    minimums = {profile: retention.archive_days for profile, retention in RETENTION_MINIMUMS.items()}
    assert minimums == {
        ComplianceProfile.BASELINE: 90,
        ComplianceProfile.HIPAA: 2192,
        ComplianceProfile.FEDRAMP_MODERATE: 1096,
        ComplianceProfile.FEDRAMP_HIGH: 1096,
    }
    assert all(retention.log_group_days >= 30 for retention in RETENTION_MINIMUMS.values())
