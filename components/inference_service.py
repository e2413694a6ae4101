"""GPU inference service on Kubernetes: hardened Deployment, Service, autoscaling and network isolation.

Works on any cluster reached through the Kubernetes provider passed in ``opts``: the cloud models
add an IRSA annotation and their load balancer; other models pass their own exposure peers.

Staged rollout: a stable version (``image``/``model_version``) and an optional ``candidate``, each
a Deployment with its HPA and PDB and its own Service (``<name>-stable``, ``<name>-candidate``),
plus the stable-named Service ``<name>`` (stable, or the active track in blue-green). Routing is
delegated to :mod:`components.traffic_split`, auth and limits to :mod:`components.endpoint_auth`,
and the check after each step to :mod:`components.acceptance_test`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .acceptance_test import AcceptanceCheck, AcceptanceTest, AcceptanceTestArgs, Target
from .common import (
    child_options,
    container_security_context,
    dns_egress_rule,
    gpu_tolerations,
    pod_security_context,
)
from .config.models import RolloutStrategy
from .endpoint_auth import EndpointPolicy
from .labels import APP_NAME_LABEL, GPU_RESOURCE, TRACK_LABEL, Labels
from .traffic_split import (
    CANDIDATE,
    Rollout,
    Router,
    TrafficSplit,
    TrafficSplitArgs,
    backends,
    serving_track,
    track_service,
)

RESOURCE_TYPE = "inference:inference_service:InferenceService"

meta = k8s.meta.v1
core = k8s.core.v1

# Pod Security Admission: the namespace refuses any pod that is not `restricted`, and says so.
PSA_LABELS = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")} | {
    f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in ("enforce", "audit", "warn")
}

TLS_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# FIPS 140 validated TLS 1.2/1.3 policy: FedRAMP needs it, every profile accepts it, so it is the default.
FIPS_TLS_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04"
_LB_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-"
NLB_CLASS = "service.k8s.aws/nlb"
# Pods a rollout adds above the replica count (the quota of a guarded namespace counts them).
MAX_SURGE = 1
MODEL_CACHE_VOLUME = "model-cache"


@dataclass(frozen=True)
class ServingPorts:
    http: int | None = 8000
    grpc: int | None = 8001

    def __post_init__(self) -> None:
        if self.http is None and self.grpc is None:
            raise ValueError("ServingPorts: at least one of http or grpc must be set")

    def named(self) -> dict[str, int]:
        """Enabled ports by name."""
        return {name: port for name, port in (("http", self.http), ("grpc", self.grpc)) if port is not None}


@dataclass(frozen=True)
class Probes:
    readiness_path: str = "/v2/health/ready"
    liveness_path: str = "/v2/health/live"
    startup_path: str = "/v2/health/ready"
    startup_failure_threshold: int = 60
    """Model loading can take minutes: the startup probe holds liveness off until it is done."""
    period_seconds: int = 10


@dataclass(frozen=True)
class ComputeResources:
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    gpus: int
    """GPUs per replica; requests equal limits (extended resources cannot be overcommitted)."""


@dataclass(frozen=True)
class Autoscaling:
    min_replicas: int
    max_replicas: int
    target_cpu_utilization: int = 70


@dataclass(frozen=True)
class Peer:
    """A NetworkPolicy peer: an IP block, or pods selected by namespace and/or pod labels."""

    cidr: str | None = None
    except_cidrs: Sequence[str] = ()
    namespace_labels: Mapping[str, str] | None = None
    pod_labels: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if (self.cidr is None) == (self.namespace_labels is None and self.pod_labels is None):
            raise ValueError("Peer: set either cidr or namespace_labels/pod_labels")

    def to_k8s(self) -> k8s.networking.v1.NetworkPolicyPeerArgs:
        if self.cidr is not None:
            return k8s.networking.v1.NetworkPolicyPeerArgs(
                ip_block=k8s.networking.v1.IPBlockArgs(cidr=self.cidr, except_=list(self.except_cidrs) or None)
            )
        return k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=meta.LabelSelectorArgs(match_labels=dict(self.namespace_labels))
            if self.namespace_labels is not None
            else None,
            pod_selector=meta.LabelSelectorArgs(match_labels=dict(self.pod_labels))
            if self.pod_labels is not None
            else None,
        )


@dataclass(frozen=True)
class LoadBalancer:
    """An AWS NLB with TLS, provisioned by the AWS Load Balancer Controller."""

    certificate_arn: str
    public: bool = False
    """Internet-facing; needs an explicit ``source_ranges`` allow-list."""
    source_ranges: Sequence[str] = ()
    ssl_policy: str = FIPS_TLS_SSL_POLICY
    https_port: int = 443
    grpcs_port: int = 8443
    deletion_protection: bool = True
    """On unless the caller opts out (stacks that are not prod-like)."""

    def __post_init__(self) -> None:
        if self.public and not self.source_ranges:
            raise ValueError("LoadBalancer: a public load balancer needs a non-empty source_ranges allow-list")
        if self.public and "0.0.0.0/0" in self.source_ranges:
            raise ValueError("LoadBalancer: source_ranges must not contain 0.0.0.0/0")

    def annotations(self, tls_ports: Sequence[str]) -> dict[str, str]:
        annotations = {
            f"{_LB_ANNOTATION}type": "external",
            f"{_LB_ANNOTATION}nlb-target-type": "ip",
            f"{_LB_ANNOTATION}scheme": "internet-facing" if self.public else "internal",
            f"{_LB_ANNOTATION}ssl-cert": self.certificate_arn,
            f"{_LB_ANNOTATION}ssl-ports": ",".join(tls_ports),
            f"{_LB_ANNOTATION}ssl-negotiation-policy": self.ssl_policy,
        }
        if self.deletion_protection:
            annotations[f"{_LB_ANNOTATION}attributes"] = "deletion_protection.enabled=true"
        return annotations


@dataclass(frozen=True)
class ModelCache:
    """A per-pod model cache volume from a StorageClass.

    A generic ephemeral volume: each pod gets its own claim, created and deleted with the pod, so
    it works with ReadWriteOnce classes (Ceph RBD, local disks) at any replica count, and the
    namespace's storage quota counts it.
    """

    storage_class: str
    size: str
    mount_path: str = "/model-cache"


@dataclass(frozen=True)
class TargetGroupBinding:
    """Register the pods behind one port of the ClusterIP Service in an existing target group.

    For a load balancer the program owns (its ARN is known, e.g. to publish it over PrivateLink):
    the AWS Load Balancer Controller only keeps the pod IPs registered (a ``TargetGroupBinding``).
    """

    port_name: str
    """``http`` or ``grpc``: the serving port whose pods are registered."""
    target_group_arn: pulumi.Input[str]
    security_group_id: pulumi.Input[str] | None = None
    """The load balancer's security group: the controller lets it reach the pods on that port."""


@dataclass(frozen=True)
class CandidateVersion:
    """The version a rollout brings in beside the stable one (``args.image``/``args.model_version``)."""

    image: pulumi.Input[str]
    """Image pinned by digest."""
    model_version: str


@dataclass(frozen=True)
class InferenceServiceArgs:
    name: str
    namespace: str
    model_name: str
    model_version: str
    image: pulumi.Input[str]
    """Image pinned by digest."""
    labels: Labels
    """Stack facts for namespace and pod labels."""
    resources: ComputeResources
    autoscaling: Autoscaling
    replicas: int = 1
    ports: ServingPorts = field(default_factory=ServingPorts)
    probes: Probes = field(default_factory=Probes)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    """Selects the GPU pool."""
    args: Sequence[str] = ()
    """Container args; may use $(MODEL_NAME), $(MODEL_VERSION), $(HTTP_PORT), $(GRPC_PORT) and any ``env`` key."""
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """E.g. the IRSA role (``eks.amazonaws.com/role-arn``)."""
    ingress_from: Sequence[Peer] = ()
    """The exposure path (load balancer subnets, ingress controller pods): the only allowed sources."""
    https_egress_to: Sequence[Peer] = ()
    """Model storage (and STS for IRSA): the only HTTPS destinations. DNS is always allowed."""
    load_balancer: LoadBalancer | None = None
    target_group_bindings: Sequence[TargetGroupBinding] = ()
    """Register the pods in target groups of a load balancer the program owns (AWS Load Balancer Controller)."""
    model_cache: ModelCache | None = None
    """Mounted at ``mount_path``; its path is in ``$(MODEL_CACHE_DIR)``."""
    create_namespace: bool = True
    track: str = "stable"
    candidate: CandidateVersion | None = None
    """A second Deployment (track ``candidate``) with its own Service, HPA and PDB."""
    rollout: Rollout = field(default_factory=Rollout)
    """Canary weight or blue-green active track; applied by ``router`` and the stable-named Service."""
    router: Router | None = None
    """Weighted split and exposure: Gateway API routes, or ALB / ingress-nginx Ingresses (``traffic_split``)."""
    endpoint: EndpointPolicy = field(default_factory=EndpointPolicy)
    """Authentication and limits at the router; its mode is annotated on every exposed endpoint."""
    acceptance: AcceptanceCheck | None = None
    """A Job after each rollout step that checks every version (:mod:`components.acceptance_test`)."""
    tmp_size_limit: str = "20Gi"
    shm_size_limit: str = "2Gi"

    def __post_init__(self) -> None:
        scaling = self.autoscaling
        if not 0 < scaling.min_replicas <= self.replicas <= scaling.max_replicas:
            raise ValueError(
                f"InferenceServiceArgs: replicas ({self.replicas}) must be within autoscaling "
                f"[{scaling.min_replicas}, {scaling.max_replicas}]"
            )
        unbound = sorted({binding.port_name for binding in self.target_group_bindings} - set(self.ports.named()))
        if unbound:
            raise ValueError(
                f"InferenceServiceArgs.target_group_bindings: port(s) {unbound} are not served; "
                f"serving ports: {sorted(self.ports.named())}"
            )
        if (self.candidate is not None or self.router is not None) and self.track != "stable":
            raise ValueError(f"InferenceServiceArgs: a rollout needs track 'stable', got {self.track!r}")
        # Raises when the rollout step needs a candidate that is not there.
        backends(self.name, self.rollout, self.candidate is not None)


class InferenceService(pulumi.ComponentResource):
    """Namespace, service account, Deployment, Services, HPA, PDB and NetworkPolicies for one model."""

    namespace: pulumi.Output[str]
    """Namespace the service runs in."""
    service_name: pulumi.Output[str]
    """ClusterIP Service name."""
    deployment: k8s.apps.v1.Deployment
    """The serving Deployment (stable track)."""
    candidate_deployment: k8s.apps.v1.Deployment | None
    """The candidate track's Deployment, during a rollout."""
    weights: dict[str, int]
    """Track -> percentage of requests the router sends it (known at preview)."""
    acceptance_test: AcceptanceTest | None
    """The acceptance-test Job block, when enabled."""
    service_url: pulumi.Output[str]
    """How clients reach the service: the load balancer over TLS, or the in-cluster address."""
    cluster_url: pulumi.Output[str]
    """The in-cluster address of the ClusterIP Service."""

    def __init__(self, name: str, args: InferenceServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        self._args = args
        self._opts = opts
        self._labels = args.labels.k8s_labels(args.name, args.model_version)

        if args.create_namespace:
            ns = core.Namespace(
                f"{name}-ns",
                metadata=meta.ObjectMetaArgs(name=args.namespace, labels={**self._labels, **PSA_LABELS}),
                opts=child_options(self, opts),
            )
            self.namespace = ns.metadata.apply(lambda m: m.name or args.namespace)
        else:
            self.namespace = pulumi.Output.from_input(args.namespace)

        account = core.ServiceAccount(
            f"{name}-sa",
            metadata=self._meta(args.name, annotations=dict(args.service_account_annotations)),
            # IRSA credentials arrive through the webhook's own projected token; the API token is not needed.
            automount_service_account_token=False,
            opts=child_options(self, opts),
        )
        self._network_policies(name)
        self.deployment = self._workload(
            name, account, track=args.track, image=args.image, version=args.model_version, replicas=args.replicas
        )
        workloads: list[pulumi.Resource] = [self.deployment]
        self.candidate_deployment = None
        if args.candidate is not None:
            self.candidate_deployment = self._workload(
                name,
                account,
                track=CANDIDATE,
                image=args.candidate.image,
                version=args.candidate.model_version,
                replicas=self._candidate_replicas(),
            )
            workloads.append(self.candidate_deployment)
        service = self._cluster_ip_service(name)
        self.service_name = service.metadata.apply(lambda m: m.name or args.name)
        services: list[pulumi.Resource] = [service, *self._track_services(name)]
        for binding in args.target_group_bindings:
            self._target_group_binding(name, binding, service)
        self.cluster_url = self._cluster_url()
        self.service_url = (
            self._load_balancer(name, args.load_balancer) if args.load_balancer is not None else self.cluster_url
        )
        split_backends = backends(args.name, args.rollout, args.candidate is not None)
        self.weights = {backend.track: backend.weight for backend in split_backends}
        if args.router is not None:
            split = TrafficSplit(
                f"{name}-traffic",
                TrafficSplitArgs(
                    name=args.name,
                    namespace=args.namespace,
                    labels=self._labels,
                    ports=args.ports.named(),
                    backends=split_backends,
                    router=args.router,
                    endpoint=args.endpoint,
                ),
                # Routes point at the Services by name: they must exist first.
                child_options(self, self._opts, pulumi.ResourceOptions(depends_on=services)),
            )
            self.service_url = split.url
            services.append(split)
        self.acceptance_test = None
        if args.acceptance is not None:
            self.acceptance_test = self._acceptance_test(name, args.acceptance, depends_on=[*workloads, *services])
        self.register_outputs(
            {
                "namespace": self.namespace,
                "serviceName": self.service_name,
                "serviceUrl": self.service_url,
                "weights": self.weights,
            }
        )

    # -- helpers ---------------------------------------------------------------------------------

    def _meta(
        self,
        k8s_name: str,
        *,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> meta.ObjectMetaArgs:
        return meta.ObjectMetaArgs(
            name=k8s_name,
            namespace=self.namespace,
            labels=dict(labels if labels is not None else self._labels),
            annotations=dict(annotations) if annotations else None,
        )

    def _app_selector(self) -> dict[str, str]:
        # Every track of the service: the Service and policies select all of them.
        return {APP_NAME_LABEL: self._labels[APP_NAME_LABEL]}

    def _track_selector(self, track: str) -> dict[str, str]:
        return {**self._app_selector(), TRACK_LABEL: track}

    def _tcp_ports(self) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
        return [
            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port)
            for port in self._args.ports.named().values()
        ]

    # -- network isolation -------------------------------------------------------------------------

    def _network_policies(self, name: str) -> None:
        args = self._args
        net = k8s.networking.v1
        self._network_policy(
            name,
            "deny-all",
            net.NetworkPolicySpecArgs(pod_selector=meta.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]),
        )
        serving = meta.LabelSelectorArgs(match_labels=self._app_selector())
        if args.ingress_from:
            ingress = net.NetworkPolicyIngressRuleArgs(
                from_=[peer.to_k8s() for peer in args.ingress_from], ports=self._tcp_ports()
            )
            self._network_policy(
                name,
                "allow-ingress",
                net.NetworkPolicySpecArgs(pod_selector=serving, policy_types=["Ingress"], ingress=[ingress]),
            )
        egress = [dns_egress_rule()]
        if args.https_egress_to:
            egress.append(
                net.NetworkPolicyEgressRuleArgs(
                    to=[peer.to_k8s() for peer in args.https_egress_to],
                    ports=[net.NetworkPolicyPortArgs(protocol="TCP", port=443)],
                )
            )
        self._network_policy(
            name,
            "allow-egress",
            net.NetworkPolicySpecArgs(pod_selector=serving, policy_types=["Egress"], egress=egress),
        )

    def _network_policy(self, name: str, role: str, spec: k8s.networking.v1.NetworkPolicySpecArgs) -> None:
        """NetworkPolicy ``<service>-<role>``."""
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{role}",
            metadata=self._meta(f"{self._args.name}-{role}"),
            spec=spec,
            opts=child_options(self, self._opts),
        )

    # -- workload ----------------------------------------------------------------------------------

    def _container(self, image: pulumi.Input[str], version: str) -> core.ContainerArgs:
        args = self._args
        res = args.resources
        requests: dict[str, str] = {"cpu": res.cpu_request, "memory": res.memory_request}
        limits: dict[str, str] = {"cpu": res.cpu_limit, "memory": res.memory_limit}
        if res.gpus > 0:
            requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(res.gpus)
        env: dict[str, pulumi.Input[str]] = {
            "MODEL_NAME": args.model_name,
            "MODEL_VERSION": version,
            # Read-only root filesystem: libraries that write under $HOME use the scratch volume.
            "HOME": "/tmp",  # noqa: S108 - an emptyDir mounted for exactly this
            **{f"{port_name.upper()}_PORT": str(port) for port_name, port in args.ports.named().items()},
            **({"MODEL_CACHE_DIR": args.model_cache.mount_path} if args.model_cache is not None else {}),
            **args.env,
        }
        return core.ContainerArgs(
            name="server",
            image=image,
            image_pull_policy="IfNotPresent",
            args=list(args.args) or None,
            env=[core.EnvVarArgs(name=key, value=value) for key, value in env.items()],
            ports=[
                core.ContainerPortArgs(name=port_name, container_port=port, protocol="TCP")
                for port_name, port in args.ports.named().items()
            ],
            resources=core.ResourceRequirementsArgs(requests=requests, limits=limits),
            security_context=container_security_context(),
            startup_probe=self._probe(
                args.probes.startup_path, failure_threshold=args.probes.startup_failure_threshold
            ),
            readiness_probe=self._probe(args.probes.readiness_path, failure_threshold=3),
            liveness_probe=self._probe(args.probes.liveness_path, failure_threshold=3),
            volume_mounts=[
                core.VolumeMountArgs(name="tmp", mount_path="/tmp"),  # noqa: S108 - emptyDir scratch space
                core.VolumeMountArgs(name="shm", mount_path="/dev/shm"),  # noqa: S108 - memory-backed emptyDir
                *(
                    [core.VolumeMountArgs(name=MODEL_CACHE_VOLUME, mount_path=args.model_cache.mount_path)]
                    if args.model_cache is not None
                    else []
                ),
            ],
        )

    def _probe(self, path: str, *, failure_threshold: int) -> core.ProbeArgs:
        ports = self._args.ports
        period = self._args.probes.period_seconds
        if ports.http is not None:
            return core.ProbeArgs(
                http_get=core.HTTPGetActionArgs(path=path, port="http"),
                period_seconds=period,
                timeout_seconds=5,
                failure_threshold=failure_threshold,
            )
        # gRPC only: the standard gRPC health-checking protocol (KServe v2 servers implement it).
        assert ports.grpc is not None
        return core.ProbeArgs(
            grpc=core.GRPCActionArgs(port=ports.grpc),
            period_seconds=period,
            timeout_seconds=5,
            failure_threshold=failure_threshold,
        )

    def _pod_spec(self, image: pulumi.Input[str], version: str, track: str) -> core.PodSpecArgs:
        args = self._args
        return core.PodSpecArgs(
            service_account_name=args.name,
            automount_service_account_token=False,
            enable_service_links=False,
            security_context=pod_security_context(fs_group=True),
            node_selector=dict(args.node_selector) or None,
            tolerations=gpu_tolerations() if args.resources.gpus > 0 else None,
            topology_spread_constraints=[
                core.TopologySpreadConstraintArgs(
                    max_skew=1,
                    topology_key="topology.kubernetes.io/zone",
                    when_unsatisfiable="ScheduleAnyway",
                    label_selector=meta.LabelSelectorArgs(match_labels=self._track_selector(track)),
                )
            ],
            termination_grace_period_seconds=60,
            containers=[self._container(image, version)],
            volumes=[
                core.VolumeArgs(name="tmp", empty_dir=core.EmptyDirVolumeSourceArgs(size_limit=args.tmp_size_limit)),
                core.VolumeArgs(
                    name="shm", empty_dir=core.EmptyDirVolumeSourceArgs(medium="Memory", size_limit=args.shm_size_limit)
                ),
                *([self._model_cache_volume(args.model_cache)] if args.model_cache is not None else []),
            ],
        )

    def _workload(
        self,
        name: str,
        account: core.ServiceAccount,
        *,
        track: str,
        image: pulumi.Input[str],
        version: str,
        replicas: int,
    ) -> k8s.apps.v1.Deployment:
        """One Deployment with its HPA and PDB; a canary adds a second track beside the stable one."""
        args = self._args
        k8s_name = f"{args.name}-{track}"
        # Each track carries its own model version (a canary candidate differs from stable).
        pod_labels = {**args.labels.k8s_labels(args.name, version), TRACK_LABEL: track}
        deployment = k8s.apps.v1.Deployment(
            f"{name}-{track}",
            metadata=self._meta(k8s_name, labels=pod_labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=replicas,
                revision_history_limit=5,
                selector=meta.LabelSelectorArgs(match_labels=self._track_selector(track)),
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    # Never drop below the serving capacity during a rollout.
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_surge=MAX_SURGE, max_unavailable=0),
                ),
                template=core.PodTemplateSpecArgs(
                    metadata=meta.ObjectMetaArgs(labels=pod_labels),
                    spec=self._pod_spec(image, version, track),
                ),
            ),
            # Pods cannot be created before their service account exists.
            opts=child_options(self, self._opts, pulumi.ResourceOptions(depends_on=[account])),
        )
        scaling = args.autoscaling
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-{track}-hpa",
            metadata=self._meta(k8s_name, labels=pod_labels),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1",
                    kind="Deployment",
                    name=k8s_name,
                ),
                min_replicas=scaling.min_replicas,
                max_replicas=scaling.max_replicas,
                metrics=[
                    k8s.autoscaling.v2.MetricSpecArgs(
                        type="Resource",
                        resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                            name="cpu",
                            target=k8s.autoscaling.v2.MetricTargetArgs(
                                type="Utilization", average_utilization=scaling.target_cpu_utilization
                            ),
                        ),
                    )
                ],
            ),
            opts=child_options(self, self._opts),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-{track}-pdb",
            metadata=self._meta(k8s_name, labels=pod_labels),
            # maxUnavailable, not minAvailable: a single-replica dev service must not block node drains.
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1, selector=meta.LabelSelectorArgs(match_labels=self._track_selector(track))
            ),
            opts=child_options(self, self._opts),
        )
        return deployment

    # -- exposure ----------------------------------------------------------------------------------

    def _service_ports(self) -> list[core.ServicePortArgs]:
        return [
            core.ServicePortArgs(
                name=port_name,
                port=port,
                target_port=port_name,
                protocol="TCP",
                app_protocol="kubernetes.io/h2c" if port_name == "grpc" else "http",
            )
            for port_name, port in self._args.ports.named().items()
        ]

    def _serving_selector(self) -> dict[str, str]:
        """The stable-named Service's selector: stable, or (blue-green) the active track."""
        args = self._args
        track = serving_track(args.rollout, args.candidate is not None)
        return self._track_selector(CANDIDATE if track == CANDIDATE else args.track)

    def _cluster_ip_service(self, name: str) -> core.Service:
        return core.Service(
            f"{name}-svc",
            metadata=self._meta(self._args.name, annotations=self._args.endpoint.auth_annotations()),
            spec=core.ServiceSpecArgs(type="ClusterIP", selector=self._serving_selector(), ports=self._service_ports()),
            opts=child_options(self, self._opts),
        )

    def _track_services(self, name: str) -> list[core.Service]:
        """One Service per track: the router weighs them, the acceptance test checks each."""
        args = self._args
        if args.router is None and args.candidate is None and args.acceptance is None:
            return []  # no rollout: the stable-named Service is the only one anything refers to
        tracks = [args.track] + ([CANDIDATE] if args.candidate is not None else [])
        return [
            core.Service(
                f"{name}-svc-{track}",
                metadata=self._meta(track_service(args.name, track), annotations=args.endpoint.auth_annotations()),
                spec=core.ServiceSpecArgs(
                    type="ClusterIP", selector=self._track_selector(track), ports=self._service_ports()
                ),
                opts=child_options(self, self._opts),
            )
            for track in tracks
        ]

    def _candidate_replicas(self) -> int:
        # Blue-green: the candidate must carry all traffic at the flip. Canary: the HPA grows it with its share.
        args = self._args
        return args.replicas if args.rollout.strategy is RolloutStrategy.BLUE_GREEN else args.autoscaling.min_replicas

    def _acceptance_test(
        self, name: str, check: AcceptanceCheck, *, depends_on: Sequence[pulumi.Resource]
    ) -> AcceptanceTest:
        args = self._args
        targets = [Target(args.track, track_service(args.name, args.track), args.model_version, args.image)]
        if args.candidate is not None:
            targets.append(
                Target(
                    CANDIDATE, track_service(args.name, CANDIDATE), args.candidate.model_version, args.candidate.image
                )
            )
        rollout = args.rollout
        return AcceptanceTest(
            f"{name}-acceptance",
            AcceptanceTestArgs(
                name=args.name,
                namespace=args.namespace,
                labels=self._labels,
                serving_selector=self._app_selector(),
                ports=args.ports.named(),
                targets=targets,
                model_name=args.model_name,
                readiness_path=args.probes.readiness_path,
                sample_path=check.sample_path,
                sample_payload=check.sample_payload,
                image=check.image,
                step={"strategy": str(rollout.strategy), "weights": self.weights, "active": str(rollout.active)},
                timeout_seconds=check.timeout_seconds,
                # Beside the serving pods, where the serving image is already pulled.
                node_selector=args.node_selector,
                tolerate_gpu_taint=args.resources.gpus > 0,
            ),
            # After the step is in place: Deployments ready, Services and routes applied.
            child_options(self, self._opts, pulumi.ResourceOptions(depends_on=list(depends_on))),
        )

    def _target_group_binding(self, name: str, binding: TargetGroupBinding, service: core.Service) -> None:
        port = self._args.ports.named()[binding.port_name]
        spec: dict[str, Any] = {
            "serviceRef": {"name": self._args.name, "port": port},
            "targetGroupARN": binding.target_group_arn,
            # Pod IPs: no NodePort, the load balancer reaches the pods directly.
            "targetType": "ip",
        }
        if binding.security_group_id is not None:
            spec["networking"] = {
                "ingress": [
                    {
                        "from": [{"securityGroup": {"groupID": binding.security_group_id}}],
                        "ports": [{"protocol": "TCP", "port": port}],
                    }
                ]
            }
        k8s.apiextensions.CustomResource(
            f"{name}-tgb-{binding.port_name}",
            api_version="elbv2.k8s.aws/v1beta1",
            kind="TargetGroupBinding",
            metadata=self._meta(f"{self._args.name}-{binding.port_name}"),
            spec=spec,
            opts=child_options(self, self._opts, pulumi.ResourceOptions(depends_on=[service])),
        )

    def _cluster_url(self) -> pulumi.Output[str]:
        ports = self._args.ports
        scheme, port = ("http", ports.http) if ports.http is not None else ("grpc", ports.grpc)
        return pulumi.Output.format(
            "{0}://{1}.{2}.svc.cluster.local:{3}", scheme, self._args.name, self.namespace, port
        )

    def _load_balancer(self, name: str, lb: LoadBalancer) -> pulumi.Output[str]:
        ports = self._args.ports
        # TLS listener name -> (listener port, container port name)
        tls = {"https": (lb.https_port, "http"), "grpcs": (lb.grpcs_port, "grpc")}
        enabled = {listener: spec for listener, spec in tls.items() if spec[1] in ports.named()}
        listeners = [
            core.ServicePortArgs(name=listener, port=port, target_port=target, protocol="TCP")
            for listener, (port, target) in enabled.items()
        ]
        service = core.Service(
            f"{name}-lb",
            metadata=self._meta(f"{self._args.name}-lb", annotations=lb.annotations(list(enabled))),
            spec=core.ServiceSpecArgs(
                type="LoadBalancer",
                load_balancer_class=NLB_CLASS,
                load_balancer_source_ranges=list(lb.source_ranges) or None,
                selector=self._serving_selector(),
                ports=listeners,
            ),
            opts=child_options(self, self._opts),
        )
        scheme, port = ("https", lb.https_port) if ports.http is not None else ("grpcs", lb.grpcs_port)
        host = service.status.apply(
            lambda status: (
                status.load_balancer.ingress[0].hostname or ""
                if status and status.load_balancer and status.load_balancer.ingress
                else ""
            )
        )
        return pulumi.Output.format("{0}://{1}:{2}", scheme, host, port)

    @staticmethod
    def _model_cache_volume(cache: ModelCache) -> core.VolumeArgs:
        return core.VolumeArgs(
            name=MODEL_CACHE_VOLUME,
            ephemeral=core.EphemeralVolumeSourceArgs(
                volume_claim_template=core.PersistentVolumeClaimTemplateArgs(
                    spec=core.PersistentVolumeClaimSpecArgs(
                        access_modes=["ReadWriteOnce"],
                        storage_class_name=cache.storage_class,
                        resources=core.VolumeResourceRequirementsArgs(requests={"storage": cache.size}),
                    )
                )
            ),
        )
