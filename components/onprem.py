"""The on-premises model: an existing Kubernetes cluster in the site's data centre. No AWS resource.

The cluster is reached through an explicit Kubernetes provider built from the
secret ``kubeconfig`` config value and the context named in ``onprem.context``;
nothing falls back to an ambient kubeconfig. The model prepares the cluster
(NVIDIA GPU Operator, namespace quota and limits) and runs the same inference
service block as the cloud models, exposed through the site's ingress
controller with TLS, with images only from the on-site registry, by digest.

TLS: ``onprem.tlsSecretName`` names an existing ``kubernetes.io/tls`` secret in
the service's namespace; ``onprem.certManagerIssuer`` names a cert-manager
*ClusterIssuer* (a namespaced Issuer could not exist yet in the namespace this
model creates), which writes the certificate into ``<service>-tls``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .common import child_options, config_error
from .config import DataClassification, OnpremConfig, StackConfig, parse_image
from .config.models import ScrapeMode, TrafficRouter
from .gpu_operator import GPU_PRESENT_LABEL, GpuOperator, GpuOperatorArgs
from .inference_service import MAX_SURGE, InferenceService, InferenceServiceArgs, ModelCache, Peer
from .labels import Labels
from .monitoring import ServiceMonitoring
from .namespace_guardrails import NamespaceGuardrails, NamespaceGuardrailsArgs
from .observability import ObservedService, observe_cluster
from .rollout import rollout_exports, service_rollout_args, service_serving_args
from .traffic_split import GatewayApiRouter, NginxRouter, Router

RESOURCE_TYPE = "inference:models:Onprem"


@dataclass(frozen=True)
class Workload:
    """One inference service on the cluster, in its own namespace, labelled with its classification."""

    name: str
    namespace: str
    data_classification: DataClassification
    host: str
    """Ingress host name; the service URL is ``https://<host>``."""


def default_workloads(config: StackConfig) -> list[Workload]:
    """The on-prem stack's single service, classified like the stack, at ``onprem.hostname``."""
    inference = config.inference
    assert config.onprem is not None  # StackConfig requires the section for this model
    return [
        Workload(
            name=inference.name,
            namespace=inference.namespace,
            data_classification=config.compliance.data_classification,
            host=config.onprem.hostname,
        )
    ]


def _registry_and_path(name: str) -> tuple[str | None, str]:
    first, sep, rest = name.partition("/")
    # Docker's rule: the first component is a registry host only if it looks like one.
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, name if sep else f"library/{name}"


def onsite_image(reference: str, registry_host: str) -> str:
    """``reference`` as mirrored in the on-site registry: same repository path, tag and digest.

    Only the registry host changes. The digest is the hash of the image manifest, so a mirror
    copied manifest-for-manifest (``crane copy``, ``skopeo copy --all --preserve-digests``,
    ``oras cp``) serves the very image the cloud side runs, and the kubelet refuses anything
    else; a tag would give no such guarantee. Docker Hub short names get their implicit
    ``library/`` path.
    """
    name, tag, digest = parse_image(reference)
    if digest is None:
        raise ValueError(f"image must be pinned by digest to be mirrored on-site, got {reference!r}")
    _, path = _registry_and_path(name)
    return f"{registry_host}/{path}{':' + tag if tag else ''}@{digest}"


def require_onsite(reference: str, registry_host: str) -> str:
    """``reference`` if it comes from ``registry_host`` pinned by digest; ConfigError otherwise."""
    name, _, digest = parse_image(reference)
    host, _ = _registry_and_path(name)
    if host != registry_host or digest is None:
        raise config_error(
            "inference.image.reference",
            f"on-prem images come only from onprem.registryHost '{registry_host}', "
            f"pinned by digest (got {reference!r})",
        )
    return reference


@dataclass(frozen=True)
class OnpremArgs:
    config: StackConfig
    labels: Labels
    kubeconfig: pulumi.Input[str]
    """The secret kubeconfig; passed to the provider as is, never parsed here."""
    image: pulumi.Input[str]
    """Image in the on-site registry, pinned by digest."""
    workloads: Sequence[Workload]

    def __post_init__(self) -> None:
        if self.config.onprem is None:
            raise ValueError("OnpremArgs.config needs the 'onprem' section")
        if not self.workloads:
            raise ValueError("OnpremArgs.workloads must list at least one workload")


class Onprem(pulumi.ComponentResource):
    """Provider, GPU Operator, and per workload: guarded namespace + inference service behind a TLS ingress."""

    provider: k8s.Provider
    """The explicit provider for the site's cluster."""
    services: dict[str, InferenceService]
    """Inference service block per workload name."""
    image_reference: pulumi.Output[str]
    """Image every workload runs (on-site registry, by digest)."""
    service_url: pulumi.Output[str]
    """``https://<host>`` of the first workload (the ingress serves TLS only)."""
    namespace: pulumi.Output[str]
    """Namespace of the first workload."""
    monitoring: ServiceMonitoring
    """Scrape targets and alert rules of the workloads (GPU metrics: the operator's DCGM exporter)."""

    def __init__(self, name: str, args: OnpremArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        config = args.config
        onprem = config.onprem
        assert onprem is not None  # checked by OnpremArgs
        site_labels = dataclasses.replace(args.labels, site=onprem.site)

        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=args.kubeconfig,
            context=onprem.context,
            opts=child_options(self, opts),
        )
        on_cluster = pulumi.ResourceOptions(provider=self.provider)
        operator = GpuOperator(
            f"{name}-gpu-operator",
            GpuOperatorArgs(
                provider=self.provider,
                chart_version=onprem.gpu_operator_chart_version,
                install_driver=onprem.install_driver,
                namespace=onprem.gpu_operator_namespace,
                labels=site_labels.k8s_labels("gpu-operator", onprem.gpu_operator_chart_version),
                # The operator's DCGM exporter supplies the GPU metrics: scraped like the services.
                dcgm_service_monitor=config.monitoring.scrape is ScrapeMode.SERVICE_MONITOR,
            ),
            child_options(self, opts),
        )
        self.image_reference = pulumi.Output.from_input(args.image)
        self.services = {}
        for workload in args.workloads:
            labels = dataclasses.replace(site_labels, data_classification=str(workload.data_classification))
            service = InferenceService(
                f"{name}-{workload.name}",
                _service_args(config, onprem=onprem, labels=labels, workload=workload, image=args.image),
                # Pods need the operator's device plugin before they can be scheduled on GPU nodes.
                child_options(self, opts, on_cluster, pulumi.ResourceOptions(depends_on=[operator])),
            )
            NamespaceGuardrails(
                f"{name}-{workload.name}-guardrails",
                _guardrails_args(
                    config,
                    onprem=onprem,
                    provider=self.provider,
                    labels=labels,
                    workload=workload,
                    namespace=service.namespace,
                ),
                child_options(self, opts, on_cluster),
            )
            self.services[workload.name] = service
        self.monitoring = observe_cluster(
            self,
            name,
            config=config,
            labels=site_labels,
            services=[
                ObservedService(
                    name=workload.name,
                    namespace=workload.namespace,
                    service=self.services[workload.name],
                    data_classification=str(workload.data_classification),
                )
                for workload in args.workloads
            ],
            opts=child_options(self, opts, on_cluster),
        )
        first = self.services[args.workloads[0].name]
        self.service_url = first.service_url
        self.namespace = first.namespace
        self.register_outputs({**self.workload_outputs(), "monitoringThresholds": self.monitoring.thresholds})

    def workload_outputs(self) -> dict[str, Any]:
        """Service URL and namespace of every workload, and the image they all run."""
        return {
            "serviceUrls": {name: service.service_url for name, service in self.services.items()},
            "namespaces": {name: service.namespace for name, service in self.services.items()},
            "imageReference": self.image_reference,
        }

    def exports(self) -> dict[str, Any]:
        """The stack outputs of the on-prem model (its single workload)."""
        first = next(iter(self.services.values()))
        return {
            "serviceUrl": self.service_url,
            "namespace": self.namespace,
            "imageReference": self.image_reference,
            **rollout_exports(first),
            "monitoring": self.monitoring.outputs(),
        }


def _service_args(
    config: StackConfig,
    *,
    onprem: OnpremConfig,
    labels: Labels,
    workload: Workload,
    image: pulumi.Input[str],
) -> InferenceServiceArgs:
    return InferenceServiceArgs(
        name=workload.name,
        namespace=workload.namespace,
        image=image,
        labels=labels,
        # GPU nodes carry the label the operator's GPU feature discovery sets; we invent none.
        node_selector=dict([GPU_PRESENT_LABEL]) if config.inference.gpus_per_replica > 0 else {},
        # Only the site's ingress controller (or gateway) reaches the pods; model files come from the cache volume.
        ingress_from=[Peer(namespace_labels={"kubernetes.io/metadata.name": _router_namespace(config, onprem)})],
        router=_router(config, onprem, workload.host),
        model_cache=ModelCache(storage_class=onprem.storage_class, size=onprem.model_cache_size),
        **service_serving_args(config),
        # The candidate is pulled from the site's registry too (the same digest, mirrored).
        **service_rollout_args(
            config,
            candidate_image=(
                onsite_image(config.rollout.candidate.image, onprem.registry_host)
                if config.rollout.candidate is not None
                else None
            ),
        ),
    )


def _router(config: StackConfig, onprem: OnpremConfig, host: str) -> Router:
    """ingress-nginx (default): TLS Ingresses with the canary pair; or routes on an existing Gateway."""
    rollout = config.rollout
    if config.traffic_routers()[0] is TrafficRouter.GATEWAY_API:
        assert rollout.gateway_name is not None  # RolloutConfig requires it for gateway-api
        return GatewayApiRouter(
            gateway_name=rollout.gateway_name, gateway_namespace=rollout.gateway_namespace, hostnames=[host]
        )
    return NginxRouter(
        ingress_class=onprem.ingress_class,
        host=host,
        tls_secret_name=onprem.tls_secret_name,
        cluster_issuer=onprem.cert_manager_issuer,
        # ingress-nginx picks the backend protocol per Ingress: gRPC gets its own host (the certificate
        # from tlsSecretName must cover it; a cert-manager issuer issues one for it).
        grpc_host=f"grpc.{host}",
    )


def _router_namespace(config: StackConfig, onprem: OnpremConfig) -> str:
    """Where the proxies that reach the pods run."""
    rollout = config.rollout
    if config.traffic_routers()[0] is TrafficRouter.GATEWAY_API and rollout.gateway_namespace is not None:
        return rollout.gateway_namespace
    return onprem.ingress_namespace


def _guardrails_args(
    config: StackConfig,
    *,
    onprem: OnpremConfig,
    provider: k8s.Provider,
    labels: Labels,
    workload: Workload,
    namespace: pulumi.Input[str],
) -> NamespaceGuardrailsArgs:
    inference = config.inference
    return NamespaceGuardrailsArgs(
        provider=provider,
        namespace=namespace,
        labels=labels.k8s_labels(workload.name, inference.model.version),
        # Each track's autoscaling peak plus the pods a rolling update adds on top. The acceptance Job's
        # small pod runs after a rollout step has settled, in the slot the surge pod used.
        pod_slots=(inference.autoscaling.max_replicas + MAX_SURGE) * (2 if config.rollout.candidate else 1),
        cpu_request=inference.resources.cpu_request,
        cpu_limit=inference.resources.cpu_limit,
        memory_request=inference.resources.memory_request,
        memory_limit=inference.resources.memory_limit,
        gpus_per_pod=inference.gpus_per_replica,
        storage_class=onprem.storage_class,
        model_cache_size=onprem.model_cache_size,
    )


def kubeconfig() -> pulumi.Output[str]:
    """The secret ``kubeconfig`` config value (a placeholder under the offline preflight)."""
    return pulumi.Config().require_secret("kubeconfig")


def build(config: StackConfig) -> Mapping[str, Any]:
    """Build the on-prem model for ``config``; return the stack outputs."""
    onprem = config.onprem
    assert onprem is not None  # StackConfig requires the section for this model
    reference = config.inference.image.reference
    assert reference is not None  # StackConfig refuses image.build on-prem
    image = require_onsite(reference, onprem.registry_host)
    model = Onprem(
        "platform",
        OnpremArgs(
            config=config,
            labels=Labels.from_config(config),
            kubeconfig=kubeconfig(),
            image=image,
            workloads=default_workloads(config),
        ),
    )
    return model.exports()
