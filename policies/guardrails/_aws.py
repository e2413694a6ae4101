"""AWS helpers: tags including the provider's default tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyProviderResource

from ._base import Config
from ._props import as_mapping, get, present, provider_value, str_map

PROVIDER_TYPE = "pulumi:providers:aws"


def provider_default_tags(provider: PolicyProviderResource | None) -> dict[str, str]:
    """``defaultTags.tags`` of the resource's AWS provider (sent as JSON text, like every provider input)."""
    if provider is None or provider.resource_type != PROVIDER_TYPE:
        return {}
    default_tags = provider_value(get(provider.props, "defaultTags"))
    return str_map(as_mapping(default_tags).get("tags"))


def effective_tags(props: Mapping[str, Any], provider: PolicyProviderResource | None) -> dict[str, str]:
    """The tags AWS will see: the provider's default tags overlaid with the resource's own."""
    tags = provider_default_tags(provider)
    tags.update(str_map(get(props, "tags")))
    return tags


def lacks_customer_managed_key(config: Config, block: Any, key: str) -> bool:
    """The profile requires a customer-managed KMS key (``requireCustomerManagedKey``) and ``block.<key>`` names none.

    A key ARN computed by a key in the same update counts as named (:func:`guardrails._props.present`).
    """
    return bool(config["requireCustomerManagedKey"]) and not present(block, key)
