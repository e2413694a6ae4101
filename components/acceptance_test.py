"""Acceptance test on deploy: a Kubernetes Job that checks every version after each rollout step.

The Job runs in the service's namespace with the service's ServiceAccount and
reaches each version through its per-track Service by cluster DNS: the same
identity and network path as the service itself, no internet. A NetworkPolicy
lets its pods reach only DNS and the serving pods (and lets the serving pods
admit them); everything else is denied by the namespace's default-deny policy.

What it checks, per target version (stable, and the candidate during a rollout):
readiness (``readinessPath``, then KServe v2 ``/v2/models/<model>/ready``), then a
sample request: ``POST samplePath`` with ``samplePayload``, or, without a payload,
the model's metadata (``GET /v2/models/<model>``). Any failure fails the Job.

Which image runs it: by default the serving image itself, with ``python3 -c``
and only the standard library (no curl, no pip, nothing downloaded). Serving
images (Triton, vLLM, TGI, KServe runtimes) ship Python, and the image is
already on the GPU nodes, so the Job starts without pulling a large image
again; a serving image without ``python3`` fails the Job with "python3: not
found". ``rollout.acceptanceTest.image`` replaces it with a dedicated image
(pinned by digest) whose own entrypoint runs with the same environment; that is
also the way for a gRPC-only service, since the built-in check speaks REST.

Each rollout step (versions, weights, active track, the check itself) hashes
into the Job's name, so a new step creates a new Job and a repeated plan of the
same step changes nothing. Under ``pulumi up`` the Kubernetes provider waits for
a Job to complete and fails the update when it fails (no ``pulumi.com/skipAwait``):
a failed acceptance test stops the rollout step. ``pulumi.com/replaceUnready``
makes the next update re-run a Job that failed, instead of waiting on it again.
Read the result with ``kubectl -n <namespace> wait --for=condition=complete
job/<name>`` and ``kubectl -n <namespace> logs job/<name>`` (the stack output
``acceptanceTest`` has both commands).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .common import (
    child_options,
    container_security_context,
    dns_egress_rule,
    gpu_tolerations,
    pod_security_context,
)
from .labels import APP_NAME_LABEL

RESOURCE_TYPE = "inference:acceptance_test:AcceptanceTest"
ROLE_LABEL = "inference.platform/role"
ROLE = "acceptance-test"
# Finished Jobs stay readable for a week, then the TTL controller removes them.
TTL_SECONDS_AFTER_FINISHED = 7 * 24 * 3600

meta = k8s.meta.v1
core = k8s.core.v1
net = k8s.networking.v1

# The built-in check: standard library only, so it runs in any image with python3 and needs no download.
CHECK_SCRIPT = """\
import json, os, sys, time, urllib.error, urllib.request

targets = json.loads(os.environ["ACCEPTANCE_TARGETS"])
model = os.environ["MODEL_NAME"]
ready_path = os.environ["READINESS_PATH"]
sample_path = os.environ["SAMPLE_PATH"].replace("{model}", model)
payload = os.environ.get("SAMPLE_PAYLOAD") or None
deadline = time.monotonic() + float(os.environ["ACCEPTANCE_TIMEOUT_SECONDS"])


def call(url, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


failed = 0
for target in targets:
    base = target["http"]
    ready = None
    while time.monotonic() < deadline:
        ready = call(base + ready_path)
        if ready == 200:
            ready = call(f"{base}/v2/models/{model}/ready")
            if ready == 200:
                break
        time.sleep(5)
    if payload is not None:
        check, status = "sample-inference", call(base + sample_path, payload.encode())
    else:
        check, status = "model-metadata", call(f"{base}/v2/models/{model}")
    ok = ready == 200 and status is not None and 200 <= status < 300
    failed += not ok
    print(json.dumps({"track": target["track"], "modelVersion": target["modelVersion"], "ready": ready == 200,
                      "check": check, "status": status, "passed": ok}), flush=True)
sys.exit(1 if failed else 0)
"""


@dataclass(frozen=True)
class AcceptanceCheck:
    """What a service's acceptance test sends (``rollout.acceptanceTest``); the service fills in the rest."""

    sample_path: str = "/v2/models/{model}/infer"
    sample_payload: str | None = None
    """JSON body of the sample request; None: the model's metadata is requested instead."""
    image: str | None = None
    """A dedicated check image pinned by digest; None: the serving image runs the built-in check."""
    timeout_seconds: int = 300


@dataclass(frozen=True)
class Target:
    """One version to check, through its per-track Service."""

    track: str
    service: str
    model_version: str
    image: pulumi.Input[str]


@dataclass(frozen=True)
class AcceptanceTestArgs:
    name: str
    """The inference service's name (and ServiceAccount); the Job is ``<name>-acceptance-<step hash>``."""
    namespace: str
    labels: Mapping[str, str]
    """Stack labels for the Job's pods (``app.kubernetes.io/name`` is replaced by ``<name>-acceptance``)."""
    serving_selector: Mapping[str, str]
    """Selects the serving pods of every track (the only pods the Job may reach)."""
    ports: Mapping[str, int]
    """Serving ports by name (``http``, ``grpc``)."""
    targets: Sequence[Target]
    model_name: str
    readiness_path: str
    sample_path: str
    sample_payload: str | None = None
    image: pulumi.Input[str] | None = None
    """A dedicated check image (its own entrypoint); None: the stable serving image runs the built-in check."""
    step: Mapping[str, Any] = field(default_factory=dict)
    """The rollout step (weights, strategy, active track): part of the Job's name."""
    timeout_seconds: int = 300
    backoff_limit: int = 1
    ttl_seconds_after_finished: int = TTL_SECONDS_AFTER_FINISHED
    node_selector: Mapping[str, str] = field(default_factory=dict)
    """Where the serving image is already pulled (the serving pods' nodes)."""
    tolerate_gpu_taint: bool = False

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError("AcceptanceTestArgs.targets must list at least one version")
        if self.image is None and "http" not in self.ports:
            raise ValueError("AcceptanceTestArgs: the built-in check speaks REST; a gRPC-only service needs image")
        if self.timeout_seconds < 10:
            raise ValueError(f"AcceptanceTestArgs.timeout_seconds must be >= 10, got {self.timeout_seconds}")


def job_name(name: str, digest: str) -> str:
    """``<name>-acceptance-<10 hex>``, at most 63 characters."""
    return f"{name[:41].rstrip('-')}-acceptance-{digest[:10]}"


def step_digest(document: Mapping[str, Any]) -> str:
    """A stable hash of a rollout step (sorted JSON)."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class AcceptanceTest(pulumi.ComponentResource):
    """The check Job and the two NetworkPolicies that give it a path to the serving pods and nowhere else."""

    job_name: pulumi.Output[str]
    """The Job's name (changes with every rollout step)."""
    namespace: str
    """The Job's namespace."""
    result: pulumi.Output[dict[str, Any]]
    """Stack output: the Job and the commands that read its result."""

    def __init__(self, name: str, args: AcceptanceTestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        self._args = args
        self._opts = opts
        self.namespace = args.namespace
        app = f"{args.name}-acceptance"
        pod_labels = {**args.labels, APP_NAME_LABEL: app, ROLE_LABEL: ROLE}
        selector = {APP_NAME_LABEL: app}
        policies = self._network_policies(name, selector, pod_labels)

        image = args.image
        builtin = image is None
        if image is None:
            image = args.targets[0].image
        env = self._env()
        digest = pulumi.Output.all(image, *(target.image for target in args.targets)).apply(
            lambda images: step_digest(
                {"images": images, "env": env, "step": dict(args.step), "builtin": builtin, "labels": pod_labels}
            )
        )
        k8s_name = digest.apply(lambda value: job_name(args.name, value))
        job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata=meta.ObjectMetaArgs(
                name=k8s_name,
                namespace=args.namespace,
                labels=pod_labels,
                annotations={"pulumi.com/replaceUnready": "true"},
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=args.backoff_limit,
                # The check's own deadline plus time to schedule and start the pod.
                active_deadline_seconds=args.timeout_seconds + 120,
                ttl_seconds_after_finished=args.ttl_seconds_after_finished,
                template=core.PodTemplateSpecArgs(
                    metadata=meta.ObjectMetaArgs(labels=pod_labels),
                    spec=self._pod_spec(image, builtin, env),
                ),
            ),
            opts=child_options(
                self,
                opts,
                pulumi.ResourceOptions(
                    depends_on=policies,
                    # The provider waits for completion; allow the whole check before giving up.
                    custom_timeouts=pulumi.CustomTimeouts(create=f"{args.timeout_seconds + 300}s"),
                ),
            ),
        )
        self.job_name = job.metadata.apply(lambda m: m.name or "")
        self.result = self.job_name.apply(
            lambda job_id: {
                "namespace": args.namespace,
                "job": job_id,
                "wait": f"kubectl -n {args.namespace} wait --for=condition=complete "
                f"--timeout={args.timeout_seconds}s job/{job_id}",
                "logs": f"kubectl -n {args.namespace} logs job/{job_id}",
                "versions": {target.track: target.model_version for target in args.targets},
            }
        )
        self.register_outputs({"jobName": self.job_name, "result": self.result})

    def _env(self) -> dict[str, str]:
        args = self._args
        ns = args.namespace
        targets = [
            {
                "track": target.track,
                "modelVersion": target.model_version,
                # In-cluster Service DNS: the path the router takes too, never a public address.
                "http": f"http://{target.service}.{ns}.svc:{args.ports['http']}" if "http" in args.ports else None,
                "grpc": f"{target.service}.{ns}.svc:{args.ports['grpc']}" if "grpc" in args.ports else None,
            }
            for target in args.targets
        ]
        env = {
            "ACCEPTANCE_TARGETS": json.dumps(targets, separators=(",", ":")),
            "MODEL_NAME": args.model_name,
            "READINESS_PATH": args.readiness_path,
            "SAMPLE_PATH": args.sample_path,
            "ACCEPTANCE_TIMEOUT_SECONDS": str(args.timeout_seconds),
            # urllib honours proxy variables; there is no proxy on the path to a Service.
            "NO_PROXY": "*",
        }
        if args.sample_payload is not None:
            env["SAMPLE_PAYLOAD"] = args.sample_payload
        return env

    def _pod_spec(self, image: pulumi.Input[str], builtin: bool, env: Mapping[str, str]) -> core.PodSpecArgs:
        args = self._args
        return core.PodSpecArgs(
            restart_policy="Never",
            service_account_name=args.name,
            automount_service_account_token=False,
            enable_service_links=False,
            node_selector=dict(args.node_selector) or None,
            tolerations=gpu_tolerations() if args.tolerate_gpu_taint else None,
            security_context=pod_security_context(),
            containers=[
                core.ContainerArgs(
                    name="check",
                    image=image,
                    image_pull_policy="IfNotPresent",
                    # -I: ignore the image's PYTHON* variables and user site; -B: write no bytecode (read-only root).
                    command=["python3", "-I", "-B", "-c", CHECK_SCRIPT] if builtin else None,
                    env=[core.EnvVarArgs(name=key, value=value) for key, value in env.items()],
                    resources=core.ResourceRequirementsArgs(
                        requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "256Mi"}
                    ),
                    security_context=container_security_context(),
                )
            ],
        )

    def _network_policies(
        self, name: str, selector: Mapping[str, str], labels: Mapping[str, str]
    ) -> list[pulumi.Resource]:
        args = self._args
        ports = [net.NetworkPolicyPortArgs(protocol="TCP", port=port) for port in args.ports.values()]
        serving = meta.LabelSelectorArgs(match_labels=dict(args.serving_selector))
        # Egress: DNS and the serving pods' ports only; no ingress at all.
        egress = net.NetworkPolicy(
            f"{name}-egress",
            metadata=meta.ObjectMetaArgs(name=f"{args.name}-acceptance", namespace=args.namespace, labels=dict(labels)),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=meta.LabelSelectorArgs(match_labels=dict(selector)),
                policy_types=["Ingress", "Egress"],
                egress=[
                    dns_egress_rule(),
                    net.NetworkPolicyEgressRuleArgs(to=[net.NetworkPolicyPeerArgs(pod_selector=serving)], ports=ports),
                ],
            ),
            opts=child_options(self, self._opts),
        )
        # The serving pods admit only their exposure path; add the Job's pods to it.
        admit = net.NetworkPolicy(
            f"{name}-admit",
            metadata=meta.ObjectMetaArgs(
                name=f"{args.name}-allow-acceptance", namespace=args.namespace, labels=dict(labels)
            ),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=serving,
                policy_types=["Ingress"],
                ingress=[
                    net.NetworkPolicyIngressRuleArgs(
                        from_=[
                            net.NetworkPolicyPeerArgs(pod_selector=meta.LabelSelectorArgs(match_labels=dict(selector)))
                        ],
                        ports=ports,
                    )
                ],
            ),
            opts=child_options(self, self._opts),
        )
        return [egress, admit]
