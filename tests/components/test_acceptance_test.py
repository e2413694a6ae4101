"""Acceptance test on deploy: one Job per rollout step, hardened, no internet egress, result as an output."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pulumi
import pytest
from component_harness import LABELS, named, plan_block

from components.acceptance_test import CHECK_SCRIPT, AcceptanceCheck, job_name
from components.inference_service import (
    Autoscaling,
    CandidateVersion,
    ComputeResources,
    InferenceService,
    InferenceServiceArgs,
    ServingPorts,
)
from components.traffic_split import Rollout
from preflight.engine import PlanResult

JOB = "kubernetes:batch/v1:Job"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
STABLE_IMAGE = "registry.example/triton@sha256:" + "a" * 64
CANDIDATE_IMAGE = "registry.example/triton@sha256:" + "c" * 64
CHECK_IMAGE = "registry.example/grpc-check@sha256:" + "e" * 64
PAYLOAD = '{"inputs": [{"name": "TEXT", "shape": [1], "datatype": "BYTES", "data": ["hello"]}]}'


def _args(namespace: str, **overrides: Any) -> InferenceServiceArgs:
    values: dict[str, Any] = {
        "name": "llm",
        "namespace": namespace,
        "model_name": "summarizer",
        "model_version": "3.2.0",
        "image": STABLE_IMAGE,
        "labels": LABELS,
        "replicas": 2,
        "resources": ComputeResources("1", "2", "4Gi", "4Gi", gpus=1),
        "autoscaling": Autoscaling(min_replicas=1, max_replicas=4),
        "node_selector": {"inference.gpu/pool": "a10g"},
        "acceptance": AcceptanceCheck(sample_payload=PAYLOAD, timeout_seconds=240),
    }
    values.update(overrides)
    return InferenceServiceArgs(**values)


CANDIDATE = CandidateVersion(image=CANDIDATE_IMAGE, model_version="3.3.0")
# Three steps of one rollout, each in its own namespace so they can share a plan.
STEPS = {
    "stable": {},
    "canary10": {"candidate": CANDIDATE, "rollout": Rollout(canary_weight=10)},
    "canary50": {"candidate": CANDIDATE, "rollout": Rollout(canary_weight=50)},
}


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        for step, overrides in STEPS.items():
            service = InferenceService(step, _args("serving", **overrides))
            assert service.acceptance_test is not None
            pulumi.export(f"{step}Result", service.acceptance_test.result)
        InferenceService(
            "grpc",
            _args(
                "grpc-only",
                ports=ServingPorts(http=None, grpc=8001),
                acceptance=AcceptanceCheck(image=CHECK_IMAGE),
            ),
        )

    return plan_block(build)


def _job(plan: PlanResult, step: str) -> dict[str, Any]:
    return named(plan, JOB, f"{step}-acceptance-job").inputs


def _pod(plan: PlanResult, step: str) -> dict[str, Any]:
    return _job(plan, step)["spec"]["template"]["spec"]


def _env(plan: PlanResult, step: str) -> dict[str, str]:
    return {item["name"]: item["value"] for item in _pod(plan, step)["containers"][0]["env"]}


# -- one Job per step -----------------------------------------------------------------------------


def test_each_rollout_step_gets_its_own_job(plan: PlanResult) -> None:
    names = [_job(plan, step)["metadata"]["name"] for step in STEPS]
    assert len(set(names)) == len(names)
    assert all(name.startswith("llm-acceptance-") and len(name) <= 63 for name in names)


def test_the_same_step_keeps_its_job_name(plan: PlanResult) -> None:
    again = plan_block(lambda: InferenceService("canary10", _args("serving", **STEPS["canary10"])))
    assert _job(again, "canary10")["metadata"]["name"] == _job(plan, "canary10")["metadata"]["name"]


def test_job_name_fits_a_kubernetes_name() -> None:
    assert job_name("x" * 63, "0123456789abcdef") == "x" * 41 + "-acceptance-0123456789"


def test_job_runs_after_the_step_is_in_place(plan: PlanResult) -> None:
    job = named(plan, JOB, "canary10-acceptance-job")
    deployments = {res.urn for res in plan.by_type("kubernetes:apps/v1:Deployment") if res.name.startswith("canary10-")}
    component = named(plan, "inference:acceptance_test:AcceptanceTest", "canary10-acceptance")
    # The block depends on both Deployments (the provider waits for them to be ready); the Job inherits it.
    assert deployments <= set(component.dependencies) | set(job.dependencies)
    assert len(deployments) == 2


def test_each_version_is_checked_through_its_own_service(plan: PlanResult) -> None:
    targets = json.loads(_env(plan, "canary10")["ACCEPTANCE_TARGETS"])
    assert [(t["track"], t["modelVersion"], t["http"]) for t in targets] == [
        ("stable", "3.2.0", "http://llm-stable.serving.svc:8000"),
        ("candidate", "3.3.0", "http://llm-candidate.serving.svc:8000"),
    ]
    assert [t["track"] for t in json.loads(_env(plan, "stable")["ACCEPTANCE_TARGETS"])] == ["stable"]


def test_the_sample_request_is_sent(plan: PlanResult) -> None:
    env = _env(plan, "canary10")
    assert env["SAMPLE_PAYLOAD"] == PAYLOAD
    assert env["SAMPLE_PATH"] == "/v2/models/{model}/infer"
    assert env["MODEL_NAME"] == "summarizer"


# -- hardened -------------------------------------------------------------------------------------


def test_job_pod_is_restricted_and_runs_with_the_service_identity(plan: PlanResult) -> None:
    pod = _pod(plan, "canary10")
    assert pod["serviceAccountName"] == "llm"
    assert pod["automountServiceAccountToken"] is False
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    context = pod["containers"][0]["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}


def test_default_check_runs_in_the_digest_pinned_serving_image_beside_the_serving_pods(plan: PlanResult) -> None:
    pod = _pod(plan, "canary10")
    container = pod["containers"][0]
    assert container["image"] == STABLE_IMAGE
    assert container["command"][:4] == ["python3", "-I", "-B", "-c"]
    assert pod["nodeSelector"] == {"inference.gpu/pool": "a10g"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert "nvidia.com/gpu" not in container["resources"]["limits"]


def test_a_dedicated_check_image_runs_its_own_entrypoint(plan: PlanResult) -> None:
    container = _pod(plan, "grpc")["containers"][0]
    assert container["image"] == CHECK_IMAGE
    assert "command" not in container
    targets = json.loads({e["name"]: e["value"] for e in container["env"]}["ACCEPTANCE_TARGETS"])
    assert targets == [
        {"track": "stable", "modelVersion": "3.2.0", "http": None, "grpc": "llm-stable.grpc-only.svc:8001"}
    ]


def test_job_retries_once_expires_and_gives_up_after_the_timeout(plan: PlanResult) -> None:
    job = _job(plan, "canary10")
    assert job["spec"]["backoffLimit"] == 1
    assert job["spec"]["ttlSecondsAfterFinished"] == 7 * 24 * 3600
    assert job["spec"]["activeDeadlineSeconds"] == 240 + 120
    # A failed Job is re-run by the next update instead of being waited on again.
    assert job["metadata"]["annotations"] == {"pulumi.com/replaceUnready": "true"}


# -- network path ---------------------------------------------------------------------------------


def test_job_may_reach_only_dns_and_the_serving_pods(plan: PlanResult) -> None:
    spec = named(plan, POLICY, "canary10-acceptance-egress").inputs["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "llm-acceptance"}}
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in spec
    dns, serving = spec["egress"]
    assert {port["port"] for port in dns["ports"]} == {53}
    assert serving["to"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "llm"}}}]
    assert sorted(port["port"] for port in serving["ports"]) == [8000, 8001]
    # No IP block anywhere: nothing outside the cluster, so no internet.
    assert "ipBlock" not in json.dumps(spec)


def test_serving_pods_admit_the_job(plan: PlanResult) -> None:
    spec = named(plan, POLICY, "canary10-acceptance-admit").inputs["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "llm"}}
    assert spec["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "llm-acceptance"}}}
    ]


def test_job_pods_are_not_endpoints_of_the_service(plan: PlanResult) -> None:
    labels = _job(plan, "canary10")["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "llm-acceptance"
    assert labels["data-classification"] == "phi"


# -- result ---------------------------------------------------------------------------------------


def test_result_is_a_stack_output_with_the_commands_to_read_it(plan: PlanResult) -> None:
    result = plan.outputs["canary10Result"]
    job = _job(plan, "canary10")["metadata"]["name"]
    assert result["job"] == job
    assert result["namespace"] == "serving"
    assert result["wait"] == f"kubectl -n serving wait --for=condition=complete --timeout=240s job/{job}"
    assert result["logs"] == f"kubectl -n serving logs job/{job}"
    assert result["versions"] == {"stable": "3.2.0", "candidate": "3.3.0"}


# -- the built-in check, run for real against a local KServe v2 stand-in ---------------------------


class _Model(BaseHTTPRequestHandler):
    infer_status = 200

    def do_GET(self) -> None:
        known = {"/v2/health/ready", "/v2/models/summarizer/ready", "/v2/models/summarizer"}
        self.send_response(200 if self.path in known else 404)
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = self.path == "/v2/models/summarizer/infer" and json.loads(body) == json.loads(PAYLOAD)
        self.send_response(self.infer_status if ok else 400)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def model_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Model)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    _Model.infer_status = 200


def _run_check(server: ThreadingHTTPServer, payload: str | None) -> subprocess.CompletedProcess[str]:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    env = {
        "ACCEPTANCE_TARGETS": json.dumps([{"track": "stable", "modelVersion": "3.2.0", "http": base, "grpc": None}]),
        "MODEL_NAME": "summarizer",
        "READINESS_PATH": "/v2/health/ready",
        "SAMPLE_PATH": "/v2/models/{model}/infer",
        "ACCEPTANCE_TIMEOUT_SECONDS": "10",
        "NO_PROXY": "*",
        **({"SAMPLE_PAYLOAD": payload} if payload is not None else {}),
    }
    return subprocess.run(
        [sys.executable, "-I", "-B", "-c", CHECK_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_builtin_check_passes_a_ready_model_that_answers_the_sample(model_server: ThreadingHTTPServer) -> None:
    run = _run_check(model_server, PAYLOAD)
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout) == {
        "track": "stable",
        "modelVersion": "3.2.0",
        "ready": True,
        "check": "sample-inference",
        "status": 200,
        "passed": True,
    }


def test_builtin_check_fails_when_the_sample_request_fails(model_server: ThreadingHTTPServer) -> None:
    _Model.infer_status = 500
    run = _run_check(model_server, PAYLOAD)
    assert run.returncode == 1
    assert json.loads(run.stdout)["passed"] is False


def test_builtin_check_without_a_payload_asks_for_the_model_metadata(model_server: ThreadingHTTPServer) -> None:
    run = _run_check(model_server, None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["check"] == "model-metadata"
