"""kubernetes-helm-release-require-pinned-chart."""

from __future__ import annotations

import pytest
from guardrails.workload.kubernetes_helm_release_require_pinned_chart import POLICY

from tests.policies.harness import analyze

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.mark.parametrize("version", ["v25.3.0", "0.17.1", "1.2.3-rc.1"])
def test_exact_versions_pass(version: str) -> None:
    assert analyze(POLICY, RELEASE, {"chart": "gpu-operator", "version": version}).passed


@pytest.mark.parametrize("version", ["^25.3.0", "~0.17", ">=1.0.0", "latest", "*"])
def test_ranges_violate(version: str) -> None:
    result = analyze(POLICY, RELEASE, {"chart": "gpu-operator", "version": version})
    assert result.has(f"Helm chart 'gpu-operator' version {version!r} is not an exact version")


def test_missing_version_violates() -> None:
    assert analyze(POLICY, "kubernetes:helm.sh/v4:Chart", {"chart": "x"}).has("version None")
