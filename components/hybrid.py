"""The hybrid model: sensitive classes stay on-prem, the rest runs in the cloud, joined by an IPsec VPN.

Composition, not copies: the cloud side is the public-cloud model
(:class:`~components.public_cloud.PublicCloud`) running the cloud-placed
workloads, the on-prem side is the on-prem model
(:class:`~components.onprem.Onprem`) running the on-prem-placed ones, and the
link is the :class:`~components.vpn.SiteToSiteVpn` block between the cloud VPC
and ``hybrid.onpremCidrs``.

Placement: ``hybrid.placement`` maps each data classification to a side, and
every ``hybrid.workloads`` entry goes to the side of its classification. Each
side's workloads pass :func:`require_side` right before that side is built, so
a code path that would put an on-prem classification in the cloud (or the
reverse) raises instead of deploying. Every workload's namespace and pods carry
its own ``data-classification`` label.

Images: both sides run the same image digest. The on-prem side pulls it from
the on-site registry (``onprem.registryHost``) under the same repository path:
only the registry host is rewritten (:func:`components.onprem.onsite_image`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from .common import child_options, config_error
from .config import HybridConfig, StackConfig
from .config.models import HybridWorkload, Side
from .keys import KeyPurpose
from .labels import Labels
from .onprem import Onprem, OnpremArgs, Workload, kubeconfig, onsite_image
from .public_cloud import PublicCloud, ServiceWorkload, check_config
from .vpn import SiteToSiteVpn, SiteToSiteVpnArgs

RESOURCE_TYPE = "inference:models:Hybrid"
K8S_NAME_MAX = 63


class PlacementError(pulumi.RunError):
    """A workload was about to be created on the side its data classification is not placed on."""


def split_by_side(hybrid: HybridConfig) -> dict[Side, list[HybridWorkload]]:
    """The workloads of each side, in config order, from the placement table."""
    sides: dict[Side, list[HybridWorkload]] = {side: [] for side in Side}
    for workload in hybrid.workloads:
        sides[hybrid.placement[workload.data_classification]].append(workload)
    return sides


def require_side(workloads: Sequence[HybridWorkload], placement: Mapping[Any, Side], side: Side) -> None:
    """Raise PlacementError unless every workload's classification is placed on ``side``."""
    misplaced = [w for w in workloads if placement.get(w.data_classification) is not side]
    if misplaced:
        details = ", ".join(
            f"'{w.name}' ({w.data_classification}: {placement.get(w.data_classification, 'no side')})"
            for w in misplaced
        )
        raise PlacementError(
            f"refusing to create workload(s) {details} on the {side} side: "
            "hybrid.placement puts their data classification elsewhere"
        )


def check_sides(sides: Mapping[Side, Sequence[HybridWorkload]]) -> None:
    """Each side runs at least one workload; otherwise the model is on-prem or public-cloud."""
    empty = [str(side) for side, workloads in sides.items() if not workloads]
    if empty:
        raise config_error(
            "hybrid.workloads",
            f"no workload is placed on the {' and '.join(empty)} side; "
            "hybrid runs workloads on both sides (use deploymentModel 'onprem' or 'public-cloud' for one side)",
        )


def workload_namespace(config: StackConfig, workload: HybridWorkload) -> str:
    """``<inference.namespace>-<workload>``: one namespace per workload, labelled with its classification."""
    namespace = f"{config.inference.namespace}-{workload.name}"
    if len(namespace) > K8S_NAME_MAX:
        raise config_error(
            "hybrid.workloads",
            f"namespace '{namespace}' (inference.namespace + '-' + name) is longer than {K8S_NAME_MAX} characters; "
            f"shorten the workload name (got {workload.name!r})",
        )
    return namespace


@dataclass(frozen=True)
class HybridArgs:
    config: StackConfig
    labels: Labels
    kubeconfig: pulumi.Input[str]
    """The on-prem cluster's secret kubeconfig."""
    preshared_key: pulumi.Input[str] | None = None
    """The ``vpnPreSharedKey`` secret; None lets AWS generate the tunnel keys."""

    def __post_init__(self) -> None:
        if self.config.hybrid is None or self.config.onprem is None:
            raise ValueError("HybridArgs.config needs the 'hybrid' and 'onprem' sections")


class Hybrid(pulumi.ComponentResource):
    """Cloud side (public-cloud model), on-prem side (on-prem model) and the VPN between them."""

    cloud: PublicCloud
    """The cloud side."""
    onprem: Onprem
    """The on-prem side."""
    vpn: SiteToSiteVpn
    """The site-to-site VPN."""
    placement: dict[str, str]
    """Workload name -> side it runs on."""

    def __init__(self, name: str, args: HybridArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        config = args.config
        hybrid, onprem = config.hybrid, config.onprem
        assert hybrid is not None and onprem is not None  # checked by HybridArgs
        child = child_options(self, opts)
        sides = split_by_side(hybrid)
        check_sides(sides)
        self.placement = {w.name: str(side) for side, workloads in sides.items() for w in workloads}

        cloud_workloads = sides[Side.CLOUD]
        require_side(cloud_workloads, hybrid.placement, Side.CLOUD)
        self.cloud = PublicCloud(
            f"{name}-cloud",
            config,
            args.labels,
            child,
            workloads=[
                ServiceWorkload(
                    name=w.name,
                    namespace=workload_namespace(config, w),
                    data_classification=str(w.data_classification),
                )
                for w in cloud_workloads
            ],
            # On-prem clients reach the cloud services' internal load balancer through the tunnel.
            client_cidrs=hybrid.onprem_cidrs,
        )

        onprem_workloads = sides[Side.ONPREM]
        require_side(onprem_workloads, hybrid.placement, Side.ONPREM)
        self.onprem = Onprem(
            f"{name}-onprem",
            OnpremArgs(
                config=config,
                labels=args.labels,
                kubeconfig=args.kubeconfig,
                image=self._onsite_image(config),
                workloads=[
                    Workload(
                        name=w.name,
                        namespace=workload_namespace(config, w),
                        data_classification=w.data_classification,
                        host=f"{w.name}.{onprem.hostname}",
                    )
                    for w in onprem_workloads
                ],
            ),
            child,
        )

        network = self.cloud.network
        self.vpn = SiteToSiteVpn(
            f"{name}-vpn",
            SiteToSiteVpnArgs(
                vpc_id=network.vpc_id,
                route_table_ids=network.private_route_table_ids,
                customer_gateway_ip=hybrid.customer_gateway_ip,
                bgp_asn=hybrid.bgp_asn,
                onprem_cidrs=hybrid.onprem_cidrs,
                log_kms_key_arn=self.cloud.keys.arn(KeyPurpose.LOGS),
                log_retention_days=config.network.flow_log_retention_days,
                tags=args.labels.aws_tags(),
                preshared_key=args.preshared_key,
                protect=config.prod_like,
            ),
            child,
        )
        self.register_outputs(self.exports())

    def _onsite_image(self, config: StackConfig) -> pulumi.Input[str]:
        """The cloud image's digest, pulled from the on-site registry."""
        assert config.onprem is not None
        registry = config.onprem.registry_host
        reference = config.inference.image.reference
        if reference is not None:
            return onsite_image(reference, registry)
        # Built and pushed to ECR by the cloud side: mirrored once the digest is known.
        return self.cloud.image.image_reference.apply(lambda built: onsite_image(built, registry))

    def exports(self) -> dict[str, Any]:
        """The stack outputs: the link (gateway configuration secret), each side's outputs, the placement."""
        # The public-cloud model's own outputs, with every cloud workload's URL instead of the first one's.
        cloud = {key: value for key, value in self.cloud.exports().items() if key != "serviceUrl"}
        cloud["serviceUrls"] = {name: service.service_url for name, service in self.cloud.services.items()}
        return {
            "vpnTunnelAddresses": self.vpn.tunnel_addresses,
            "customerGatewayConfiguration": self.vpn.customer_gateway_configuration,
            "vpnNetworkTeam": self.vpn.network_team,
            "placement": self.placement,
            "cloud": cloud,
            "onprem": {**self.onprem.workload_outputs(), "monitoring": self.onprem.monitoring.outputs()},
        }


def check_hybrid_config(config: StackConfig) -> None:
    """Every rule this model adds to the shared config, checked before any resource exists."""
    check_config(config)  # the cloud side's own rules
    assert config.hybrid is not None  # StackConfig requires the section for this model
    check_sides(split_by_side(config.hybrid))
    for workload in config.hybrid.workloads:
        workload_namespace(config, workload)


def build(config: StackConfig) -> Mapping[str, Any]:
    """Build the hybrid model for ``config``; return the stack outputs."""
    check_hybrid_config(config)
    model = Hybrid(
        "platform",
        HybridArgs(
            config=config,
            labels=Labels.from_config(config),
            kubeconfig=kubeconfig(),
            preshared_key=pulumi.Config().get_secret("vpnPreSharedKey"),
        ),
    )
    return model.exports()
